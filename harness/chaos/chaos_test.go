package chaos

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/runtime"
)

// lifecycle is a runtime with no capability at all.
type lifecycle struct{}

func (lifecycle) Name() string { return "bare" }
func (lifecycle) NewEndpoint(context.Context, runtime.EndpointSpec) (runtime.Endpoint, error) {
	return runtime.Endpoint{}, nil
}
func (lifecycle) StartRegistry(context.Context, runtime.RegistrySpec) (runtime.Registry, error) {
	return runtime.Registry{}, nil
}
func (lifecycle) Registry() (runtime.Registry, error) { return runtime.Registry{}, nil }
func (lifecycle) Close(context.Context) error         { return nil }

// capable can stop endpoints and kill the registry; it records what it did.
type capable struct {
	lifecycle
	did []string
}

func (c *capable) StopEndpoint(_ context.Context, n string) error {
	c.did = append(c.did, "stop "+n)
	return nil
}
func (c *capable) StartEndpoint(_ context.Context, n string) error {
	c.did = append(c.did, "start "+n)
	return nil
}
func (c *capable) KillRegistry(context.Context) error { c.did = append(c.did, "kill"); return nil }

func TestCapabilitiesAreFoundByTypeAssertion(t *testing.T) {
	rt := &capable{}
	steps := []Step{{Action: StopEndpoint{Endpoint: "sink"}}, {Action: KillRegistry{}}}
	if err := CheckAll(rt, steps); err != nil {
		t.Fatal(err)
	}
	err := CheckAll(lifecycle{}, steps, []Step{{Action: Partition{Endpoint: "sink"}}})
	var u *UnsupportedError
	if !errors.As(err, &u) || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("want UnsupportedError, got %v", err)
	}
	for _, want := range []string{"stop-endpoint on sink", "kill-registry", "partition on sink", "chaos.Partitioner", "runtime bare"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	recs := Run(context.Background(), Env{Runtime: rt}, steps, time.Now(), nil)
	if len(recs) != 2 || recs[0].Action != "stop-endpoint" || recs[0].Endpoint != "sink" || recs[1].Error != "" || strings.Join(rt.did, ",") != "stop sink,kill" {
		t.Fatalf("records %+v, did %v", recs, rt.did)
	}
}

// An external registry keeps the endpoints of the runtime it wraps, not
// its registry: endpoint chaos is found through it, registry chaos is not.
func TestExternalRegistryHasNoRegistryChaos(t *testing.T) {
	rt := runtime.WithExternal(&capable{}, runtime.ExternalRegistry{URL: "http://x"})
	if err := (StopEndpoint{Endpoint: "sink"}).Check(rt); err != nil {
		t.Errorf("endpoint chaos through the wrapper: %v", err)
	}
	if err := (KillRegistry{}).Check(rt); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("kill-registry on an external registry: %v, want refused", err)
	}
}

func TestWithFakeFault(t *testing.T) {
	base := endpoint.Profile{Fault: endpoint.Fault{Status: 500}, Rules: []endpoint.Rule{{Repository: "a/*", Fault: endpoint.Fault{Hang: true}}}}
	p, err := WithFakeFault(base, NetworkFault{Kind: FaultResetPeer})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Reset || !p.Rules[0].Reset || p.Rules[0].Hang || !base.Rules[0].Hang {
		t.Errorf("reset-peer not applied to every fault, or the base changed: %+v (base %+v)", p, base)
	}
	p, err = WithFakeFault(endpoint.Profile{}, NetworkFault{Kind: FaultLatency, Delay: 500 * time.Millisecond, Jitter: 100 * time.Millisecond})
	if err != nil || p.Latency == nil || time.Duration(p.Latency.Fixed) != 400*time.Millisecond || time.Duration(p.Latency.Max) != 200*time.Millisecond {
		t.Errorf("latency: %+v %v", p.Latency, err)
	}
	for _, f := range []NetworkFault{{Kind: FaultBandwidth, KBps: 1}, {Kind: FaultSlowClose}, {Kind: FaultTimeout, Delay: time.Second}} {
		if _, err := WithFakeFault(endpoint.Profile{}, f); err == nil {
			t.Errorf("%s: a fake cannot do it honestly, yet no error", f.Kind)
		}
	}
}

func TestParamsSayWhatWasSet(t *testing.T) {
	cases := []struct {
		a    Action
		want string
	}{
		{Latency{Endpoint: "a", Delay: 200 * time.Millisecond, Jitter: 50 * time.Millisecond}, "delay=200ms jitter=50ms"},
		{SetProfile{Endpoint: "a", Profile: endpoint.Profile{Fault: endpoint.Fault{Status: 500}}}, `profile={"status":500}`},
		{Bandwidth{Endpoint: "b", KBps: 16}, "kBps=16"},
		{SetProfile{Endpoint: "a"}, "profile={}"},
		{StopEndpoint{Endpoint: "a"}, ""},
		{KillRegistry{}, ""},
	}
	for _, c := range cases {
		if got := Params(c.a); got != c.want {
			t.Errorf("Params(%T) = %q, want %q", c.a, got, c.want)
		}
	}
}

// Replica and node numbers start at 0, which a report must still show.
func TestClusterActionParamsShowZero(t *testing.T) {
	if got := Params(KillReplica{Replica: 0}); got != "replica=0" {
		t.Errorf("kill-replica 0: %q", got)
	}
	if got := Params(PartitionNATSNode{Node: 2}); got != "node=2" {
		t.Errorf("partition-nats 2: %q", got)
	}
	if got := Params(RollingRestart{}); got != "" {
		t.Errorf("rolling-restart: %q", got)
	}
}
