package model

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/chaos"
)

// StepFile is a chaos step's file form: when, the action's name, and the
// action's parameters, flat:
//
//	{at: 1s, action: latency, endpoint: sink, latency: 500ms}
type StepFile struct {
	At       time.Duration     `yaml:"at"`
	Action   string            `yaml:"action"`
	Endpoint string            `yaml:"endpoint,omitempty"`
	Latency  time.Duration     `yaml:"latency,omitempty"` // latency: the delay
	Jitter   time.Duration     `yaml:"jitter,omitempty"`  // latency: ± this much
	Delay    time.Duration     `yaml:"delay,omitempty"`   // slow-close
	After    time.Duration     `yaml:"after,omitempty"`   // reset-peer, timeout: after this long (0: at once / never closed)
	KBps     int               `yaml:"kbps,omitempty"`    // bandwidth, KB/s
	Profile  *endpoint.Profile `yaml:"profile,omitempty"` // set-profile: the receiver's new fault profile
	Replica  *int              `yaml:"replica,omitempty"` // cluster actions: the replica, from 0
	Node     *int              `yaml:"node,omitempty"`    // NATS node actions: the node, from 0
}

// ActionForm is one chaos action's file form: the keys it takes beside
// at and action, and its constructor.
type ActionForm struct {
	Name  string
	Keys  []string // "endpoint" first when the action acts on an endpoint
	Doc   string
	build func(StepFile) chaos.Action
}

// ActionForms lists every chaos action a file can name, by name.
func ActionForms() map[string]ActionForm {
	ep := []string{"endpoint"}
	forms := []ActionForm{
		{Name: "stop-endpoint", Keys: ep, Doc: "take the receiver away: connections refused",
			build: func(f StepFile) chaos.Action { return chaos.StopEndpoint{Endpoint: f.Endpoint} }},
		{Name: "start-endpoint", Keys: ep, Doc: "bring a stopped receiver back on the same address",
			build: func(f StepFile) chaos.Action { return chaos.StartEndpoint{Endpoint: f.Endpoint} }},
		{Name: "pause-endpoint", Keys: ep, Doc: "freeze the receiver: connections accepted, nothing answers",
			build: func(f StepFile) chaos.Action { return chaos.PauseEndpoint{Endpoint: f.Endpoint} }},
		{Name: "unpause-endpoint", Keys: ep, Doc: "thaw a paused receiver",
			build: func(f StepFile) chaos.Action { return chaos.UnpauseEndpoint{Endpoint: f.Endpoint} }},
		{Name: "partition", Keys: ep, Doc: "cut the network between the registry and the receiver",
			build: func(f StepFile) chaos.Action { return chaos.Partition{Endpoint: f.Endpoint} }},
		{Name: "heal", Keys: ep, Doc: "end a partition",
			build: func(f StepFile) chaos.Action { return chaos.Heal{Endpoint: f.Endpoint} }},
		{Name: "kill-registry", Doc: "kill the registry, nothing drained (SIGKILL where the runtime can)",
			build: func(StepFile) chaos.Action { return chaos.KillRegistry{} }},
		{Name: "restart-registry", Doc: "start the registry again on the same config and storage",
			build: func(StepFile) chaos.Action { return chaos.RestartRegistry{} }},
		{Name: "kill-replica", Keys: []string{"replica"}, Doc: "cluster: kill one replica, nothing drained (SIGKILL)",
			build: func(f StepFile) chaos.Action { return chaos.KillReplica{Replica: *f.Replica} }},
		{Name: "start-replica", Keys: []string{"replica"}, Doc: "cluster: start a killed replica again (same config, volume, addresses)",
			build: func(f StepFile) chaos.Action { return chaos.StartReplica{Replica: *f.Replica} }},
		{Name: "restart-replica", Keys: []string{"replica"}, Doc: "cluster: stop one replica gracefully (SIGTERM) and start it",
			build: func(f StepFile) chaos.Action { return chaos.RestartReplica{Replica: *f.Replica} }},
		{Name: "rolling-restart", Doc: "cluster: restart every replica gracefully, one after another",
			build: func(StepFile) chaos.Action { return chaos.RollingRestart{} }},
		{Name: "partition-replica", Keys: []string{"replica"}, Doc: "cluster: cut one replica off the network (balancer, storage, queue, receivers)",
			build: func(f StepFile) chaos.Action { return chaos.PartitionReplica{Replica: *f.Replica} }},
		{Name: "heal-replica", Keys: []string{"replica"}, Doc: "cluster: end a replica's partition",
			build: func(f StepFile) chaos.Action { return chaos.HealReplica{Replica: *f.Replica} }},
		{Name: "partition-nats", Keys: []string{"node"}, Doc: "cluster: cut one NATS node off the other nodes and the replicas",
			build: func(f StepFile) chaos.Action { return chaos.PartitionNATSNode{Node: *f.Node} }},
		{Name: "heal-nats", Keys: []string{"node"}, Doc: "cluster: end a NATS node's partition",
			build: func(f StepFile) chaos.Action { return chaos.HealNATSNode{Node: *f.Node} }},
		{Name: "stop-s3", Doc: "cluster: stop the shared S3 server",
			build: func(StepFile) chaos.Action { return chaos.StopS3{} }},
		{Name: "start-s3", Doc: "cluster: start the S3 server again, its data kept",
			build: func(StepFile) chaos.Action { return chaos.StartS3{} }},
		{Name: "set-profile", Keys: []string{"endpoint", "profile"}, Doc: "replace the receiver's fault profile ({} answers 200)",
			build: func(f StepFile) chaos.Action { return chaos.SetProfile{Endpoint: f.Endpoint, Profile: *f.Profile} }},
		{Name: string(chaos.FaultLatency), Keys: []string{"endpoint", "latency", "jitter"}, Doc: "delay every answer by latency ± jitter",
			build: func(f StepFile) chaos.Action {
				return chaos.Latency{Endpoint: f.Endpoint, Delay: f.Latency, Jitter: f.Jitter}
			}},
		{Name: string(chaos.FaultBandwidth), Keys: []string{"endpoint", "kbps"}, Doc: "throttle answers to kbps KB/s",
			build: func(f StepFile) chaos.Action { return chaos.Bandwidth{Endpoint: f.Endpoint, KBps: f.KBps} }},
		{Name: string(chaos.FaultSlowClose), Keys: []string{"endpoint", "delay"}, Doc: "delay closing each connection",
			build: func(f StepFile) chaos.Action { return chaos.SlowClose{Endpoint: f.Endpoint, Delay: f.Delay} }},
		{Name: string(chaos.FaultResetPeer), Keys: []string{"endpoint", "after"}, Doc: "reset connections (TCP RST), after their start",
			build: func(f StepFile) chaos.Action { return chaos.ResetPeer{Endpoint: f.Endpoint, After: f.After} }},
		{Name: string(chaos.FaultTimeout), Keys: []string{"endpoint", "after"}, Doc: "let no answer through; close after (0: never)",
			build: func(f StepFile) chaos.Action { return chaos.Timeout{Endpoint: f.Endpoint, After: f.After} }},
		{Name: "clear-network-faults", Keys: ep, Doc: "remove every network fault on the path to the receiver",
			build: func(f StepFile) chaos.Action { return chaos.ClearNetworkFaults{Endpoint: f.Endpoint} }},
	}
	m := make(map[string]ActionForm, len(forms))
	for _, f := range forms {
		m[f.Name] = f
	}
	return m
}

// ActionNames is every action a file can name, sorted.
func ActionNames() []string { return slices.Sorted(maps.Keys(ActionForms())) }

// has reports whether f sets the parameter key.
func (f StepFile) has(key string) bool {
	switch key {
	case "endpoint":
		return f.Endpoint != ""
	case "latency":
		return f.Latency != 0
	case "jitter":
		return f.Jitter != 0
	case "delay":
		return f.Delay != 0
	case "after":
		return f.After != 0
	case "kbps":
		return f.KBps != 0
	case "profile":
		return f.Profile != nil
	case "replica":
		return f.Replica != nil
	case "node":
		return f.Node != nil
	}
	return false
}

// stepParamKeys are StepFile's keys besides at and action.
func stepParamKeys() []string {
	return []string{"endpoint", "latency", "jitter", "delay", "after", "kbps", "profile", "replica", "node"}
}

// Build makes the chaos step f says; a problem names the key at fault
// ("action", "endpoint", "kbps", ...).
func (f StepFile) Build() (chaos.Step, string, error) {
	form, ok := ActionForms()[f.Action]
	if !ok {
		return chaos.Step{}, "action", fmt.Errorf("unknown chaos action %q (one of %v)", f.Action, ActionNames())
	}
	if f.At < 0 {
		return chaos.Step{}, "at", fmt.Errorf("must be >= 0")
	}
	for _, k := range stepParamKeys() {
		if f.has(k) && !slices.Contains(form.Keys, k) {
			return chaos.Step{}, k, fmt.Errorf("%s takes no %s (keys: %v)", f.Action, k, form.Keys)
		}
	}
	for _, k := range form.Keys {
		if requiredKey(k) && !f.has(k) {
			return chaos.Step{}, k, fmt.Errorf("%s needs %s", f.Action, k)
		}
	}
	if (f.Replica != nil && *f.Replica < 0) || (f.Node != nil && *f.Node < 0) {
		k := "replica"
		if f.Node != nil && *f.Node < 0 {
			k = "node"
		}
		return chaos.Step{}, k, fmt.Errorf("must be >= 0")
	}
	if f.Latency < 0 || f.Jitter < 0 || f.Delay < 0 || f.After < 0 || f.KBps < 0 {
		for _, k := range []string{"latency", "jitter", "delay", "after", "kbps"} {
			if f.has(k) {
				return chaos.Step{}, k, fmt.Errorf("must be >= 0")
			}
		}
	}
	if f.Profile != nil {
		if err := f.Profile.Validate(); err != nil {
			return chaos.Step{}, "profile", err
		}
	}
	return chaos.Step{At: f.At, Action: form.build(f)}, "", nil
}

// requiredKey: an action naming this key needs it set (no default).
func requiredKey(k string) bool {
	return k == "endpoint" || k == "profile" || k == "replica" || k == "node"
}

// FileStep is st's file form; an action without one is an error.
func FileStep(st chaos.Step) (StepFile, error) {
	f := StepFile{At: st.At}
	if st.Action == nil {
		return f, fmt.Errorf("chaos step at %s: no action", st.At)
	}
	f.Action, f.Endpoint = st.Action.Name(), st.Action.Target()
	switch a := st.Action.(type) {
	case chaos.StopEndpoint, chaos.StartEndpoint, chaos.PauseEndpoint, chaos.UnpauseEndpoint,
		chaos.Partition, chaos.Heal, chaos.KillRegistry, chaos.RestartRegistry, chaos.ClearNetworkFaults:
	case chaos.RollingRestart, chaos.StopS3, chaos.StartS3:
	case chaos.KillReplica:
		f.Replica = &a.Replica
	case chaos.StartReplica:
		f.Replica = &a.Replica
	case chaos.RestartReplica:
		f.Replica = &a.Replica
	case chaos.PartitionReplica:
		f.Replica = &a.Replica
	case chaos.HealReplica:
		f.Replica = &a.Replica
	case chaos.PartitionNATSNode:
		f.Node = &a.Node
	case chaos.HealNATSNode:
		f.Node = &a.Node
	case chaos.SetProfile:
		p := a.Profile
		f.Profile = &p
	case chaos.Latency:
		f.Latency, f.Jitter = a.Delay, a.Jitter
	case chaos.Bandwidth:
		f.KBps = a.KBps
	case chaos.SlowClose:
		f.Delay = a.Delay
	case chaos.ResetPeer:
		f.After = a.After
	case chaos.Timeout:
		f.After = a.After
	default:
		return f, fmt.Errorf("chaos action %s (%T) has no file form", st.Action.Name(), st.Action)
	}
	return f, nil
}
