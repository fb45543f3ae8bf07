package model

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/harness/runtime"
)

// Scenario defaults keep each spec a few seconds long.
const (
	DefaultScenarioTimeout   = 300 * time.Millisecond
	DefaultScenarioThreshold = 3
	DefaultScenarioBackoff   = 100 * time.Millisecond
)

// ConfigTemplate renders the scenario's registry config.yml (Distribution's
// format) as a template over runtime.Addrs; urls maps endpoint names to the
// URLs the registry must dial.
func (s Scenario) ConfigTemplate(urls map[string]string) (string, error) {
	cfg, err := RegistryConfig(s.Registry, s.topologyEndpoints(), urls)
	if err != nil {
		return "", fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	return marshal(cfg)
}

// NotificationsTemplate is the notifications: block of ConfigTemplate
// alone, for a config template of the user's own ({{.Notifications}}).
func (s Scenario) NotificationsTemplate(urls map[string]string) (string, error) {
	cfg, err := RegistryConfig(s.Registry, s.topologyEndpoints(), urls)
	if err != nil {
		return "", fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	return marshal(struct {
		Notifications config.Notifications `yaml:"notifications"`
	}{cfg.Notifications})
}

// topologyEndpoints are the endpoints with the topology's queue: disk
// queues here (a file per replica, under its own {{.StorageDir}}); a
// shared queue's addresses are the cluster runtime's to fill in.
func (s Scenario) topologyEndpoints() []EndpointDef {
	if s.Topology.Queue != runtime.QueueDisk {
		return s.Endpoints
	}
	eps := append([]EndpointDef(nil), s.Endpoints...)
	for i := range eps {
		eps[i].Delivery.DiskQueue = true
	}
	return eps
}

// ConfigTemplateFor renders the config template of a registry with the
// given endpoints, for callers without a scenario (a live spec, attack).
func ConfigTemplateFor(reg RegistryFragment, eps []EndpointDef, urls map[string]string) (string, error) {
	cfg, err := RegistryConfig(reg, eps, urls)
	if err != nil {
		return "", err
	}
	return marshal(cfg)
}

// RegistryConfig is the registry config a scenario implies, with the
// runtime's addresses as template fields ({{.Addr}}, {{.DebugAddr}},
// {{.StorageDir}}).
func RegistryConfig(reg RegistryFragment, eps []EndpointDef, urls map[string]string) (config.Config, error) {
	cfg := config.Config{
		Version: "0.1",
		Log:     config.Log{Level: "warn"},
		Storage: config.Storage{
			Filesystem: &config.Filesystem{RootDirectory: "{{.StorageDir}}"},
			Delete:     config.Delete{Enabled: reg.DeleteEnabled},
		},
		HTTP: config.HTTP{Addr: "{{.Addr}}", Debug: config.Debug{Addr: "{{.DebugAddr}}",
			Prometheus: config.Prometheus{Enabled: true, Path: "/metrics"}}},
		Notifications: config.Notifications{Events: config.Events{IncludeReferences: reg.IncludeReferences}},
	}
	for _, e := range eps {
		base, ok := urls[e.Name]
		if !ok {
			return config.Config{}, fmt.Errorf("no URL for endpoint %s", e.Name)
		}
		u, err := e.URL(base)
		if err != nil {
			return config.Config{}, fmt.Errorf("endpoint %s: %w", e.Name, err)
		}
		ce := config.Endpoint{
			Name: e.Name, URL: u, Headers: http.Header(e.Headers),
			Timeout: e.Timeout, Threshold: e.Threshold, Backoff: e.Backoff,
			IgnoredMediaTypes: e.IgnoredMediaTypes,
			Ignore:            config.Ignore{MediaTypes: e.Ignore.MediaTypes, Actions: e.Ignore.Actions},
		}
		if ce.Timeout == 0 {
			ce.Timeout = DefaultScenarioTimeout
		}
		if ce.Threshold == 0 {
			ce.Threshold = DefaultScenarioThreshold
		}
		if ce.Backoff == 0 {
			ce.Backoff = DefaultScenarioBackoff
		}
		e.Delivery.apply(&ce)
		cfg.Notifications.Endpoints = append(cfg.Notifications.Endpoints, ce)
	}
	return cfg, nil
}

// marshal writes v as YAML without its zero values: config's types have
// no omitempty, and a key left out means its default (Distribution's
// behaviour), so a Distribution-compatible scenario renders only
// Distribution's keys and Distribution itself can read it.
func marshal(v any) (string, error) {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return "", err
	}
	prune(&n)
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// prune removes zero scalars and empty collections from mappings and
// reports whether n itself is empty.
func prune(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			prune(c)
		}
		return false
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !prune(n.Content[i+1]) {
				kept = append(kept, n.Content[i], n.Content[i+1])
			}
		}
		n.Content = kept
		return len(kept) == 0
	case yaml.SequenceNode:
		for _, c := range n.Content {
			prune(c) // an element stays even when zero: positions matter
		}
		return len(n.Content) == 0
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return true
		case "!!bool":
			return n.Value == "false"
		case "!!int":
			return n.Value == "0"
		case "!!str":
			return n.Value == "" || n.Value == "0s" // a zero time.Duration
		}
	}
	return false
}
