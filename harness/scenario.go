package harness

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hookbench/hookbench/harness/load"
)

// Scenario is one declarative test of a registry's notification pipeline.
// The catalog lives in scenarios/, one file per scenario.
type Scenario struct {
	Name        string
	Description string
	// Registry is the registry-side configuration beyond the endpoints.
	Registry RegistryFragment
	// Endpoints are fake receivers, each with its registry endpoint settings.
	Endpoints []EndpointDef
	// Load phases, run one after the other.
	Load []load.Profile
	// Chaos timeline, relative to the start of the first load phase.
	Chaos []ChaosStep
	// AfterLoad is a second timeline, relative to the end of the last load
	// phase (and of Chaos), e.g. to end an outage whatever the load's length.
	AfterLoad []ChaosStep
	// Expect: final values and conditions that hold throughout.
	Expect Expect
	// Needs lists what the runtime and registry must be able to do.
	Needs []Capability
}

// RegistryFragment is the part of the registry config a scenario controls.
type RegistryFragment struct {
	IncludeReferences bool
	DeleteEnabled     bool
}

// EndpointDef is one fake receiver and the registry's settings for it.
type EndpointDef struct {
	Name string
	// Profile is the fake's fault profile (JSON of fakes/endpoint.Profile).
	Profile   json.RawMessage
	Timeout   time.Duration // registry's notification timeout (default 300ms in scenarios)
	Threshold int           // default 3
	Backoff   time.Duration // default 100ms
	Ignore    Ignore
	Headers   map[string][]string
	// IgnoredMediaTypes is Distribution's older top-level ignore list.
	IgnoredMediaTypes []string
	Tolerance         Tolerance
	// Delivery holds our registry's opt-in delivery settings (harness/delivery.go).
	Delivery DeliverySettings
}

// ChaosStep is one action at a point of the timeline.
type ChaosStep struct {
	At       time.Duration
	Action   string // see the Chaos* constants
	Endpoint string // target endpoint, for endpoint actions
	// Profile for ChaosSetProfile.
	Profile json.RawMessage
}

// Chaos actions.
const (
	ChaosStopEndpoint    = "stop-endpoint"
	ChaosStartEndpoint   = "start-endpoint"
	ChaosPauseEndpoint   = "pause-endpoint"
	ChaosUnpauseEndpoint = "unpause-endpoint"
	ChaosPartition       = "partition"
	ChaosHeal            = "heal"
	ChaosKillRegistry    = "kill-registry"
	ChaosRestartRegistry = "restart-registry"
	ChaosSetProfile      = "set-profile" // via the fake's admin API: every runtime can
)

// Expect holds a scenario's expectations besides reconciliation, which
// always runs.
type Expect struct {
	// Final exact counters per endpoint after the drain.
	Final map[string]Counters
	// Throughout holds on every sample.
	Throughout []Condition
	// During holds on at least one sample (e.g. "Errors rose during the outage").
	Eventually []Condition
	// DrainTimeout bounds the wait for Pending to reach its final value (default 15s).
	DrainTimeout time.Duration
	// MaxHeapAlloc, when set, bounds the registry's HeapAlloc on every sample
	// (memstats from /debug/vars; in-process it includes the harness's own heap).
	MaxHeapAlloc uint64
	// DeadLetterEvents: events expected in each endpoint's dead-letter log
	// (DeliverySettings.DeadLetter), read where the runtime's storage is local.
	DeadLetterEvents map[string]int
}

// Condition compares one endpoint counter with a value.
type Condition struct {
	Endpoint string
	Counter  string // as in Counters
	Op       string // "<=", ">=", "==", ">", "<"
	Value    int
}

func (c Condition) String() string {
	return fmt.Sprintf("%s %s %s %d", c.Endpoint, c.Counter, c.Op, c.Value)
}

// Holds evaluates c against a sample.
func (c Condition) Holds(s Sample) (bool, int, error) {
	m, ok := s.Endpoints[c.Endpoint]
	if !ok {
		return false, 0, fmt.Errorf("endpoint %q not in sample", c.Endpoint)
	}
	v, err := m.Counter(c.Counter)
	if err != nil {
		return false, 0, err
	}
	switch c.Op {
	case "<=":
		return v <= c.Value, v, nil
	case ">=":
		return v >= c.Value, v, nil
	case "==":
		return v == c.Value, v, nil
	case "<":
		return v < c.Value, v, nil
	case ">":
		return v > c.Value, v, nil
	}
	return false, v, fmt.Errorf("condition %s: unknown op %q", c, c.Op)
}

// Capability is something a scenario needs from runtime or registry.
type Capability string

// Capabilities scenarios can need.
const (
	NeedSingleRequestUpload Capability = "single-request-upload"
	NeedOwnRegistry         Capability = "own-registry" // our extensions or fault hooks
	NeedStopEndpoint        Capability = "stop-endpoint"
	NeedPauseEndpoint       Capability = "pause-endpoint"
	NeedPartition           Capability = "partition"
	NeedKillRegistry        Capability = "kill-registry"
	NeedRestartRegistry     Capability = "restart-registry"
	NeedDebugVars           Capability = "debug-vars"
)

// Missing returns the needs that rt and reg cannot meet.
func (s Scenario) Missing(caps Capabilities, reg Registry) []Capability {
	var out []Capability
	for _, n := range s.needs() {
		ok := true
		switch n {
		case NeedSingleRequestUpload:
			ok = reg.SingleRequestUpload
		case NeedOwnRegistry:
			ok = reg.OwnRegistry
		case NeedStopEndpoint:
			ok = caps.StopEndpoint
		case NeedPauseEndpoint:
			ok = caps.PauseEndpoint
		case NeedPartition:
			ok = caps.Partition
		case NeedKillRegistry:
			ok = caps.KillRegistry
		case NeedRestartRegistry:
			ok = caps.RestartRegistry
		case NeedDebugVars:
			ok = reg.DebugURL != ""
		}
		if !ok {
			out = append(out, n)
		}
	}
	return out
}

// needs adds what the chaos timeline implies to the declared needs.
func (s Scenario) needs() []Capability {
	set := map[Capability]bool{NeedDebugVars: true}
	for _, n := range s.Needs {
		set[n] = true
	}
	for _, e := range s.Endpoints {
		if !e.Delivery.isZero() {
			set[NeedOwnRegistry] = true // delivery settings are our extensions
		}
	}
	for _, c := range s.timeline() {
		switch c.Action {
		case ChaosStopEndpoint, ChaosStartEndpoint:
			set[NeedStopEndpoint] = true
		case ChaosPauseEndpoint, ChaosUnpauseEndpoint:
			set[NeedPauseEndpoint] = true
		case ChaosPartition, ChaosHeal:
			set[NeedPartition] = true
		case ChaosKillRegistry:
			set[NeedKillRegistry] = true
		case ChaosRestartRegistry:
			set[NeedRestartRegistry] = true
		}
	}
	out := make([]Capability, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Validate reports what is wrong with a scenario's declaration.
func (s Scenario) Validate() error {
	if s.Name == "" {
		return fmt.Errorf("scenario without a name")
	}
	if len(s.Endpoints) == 0 {
		return fmt.Errorf("scenario %s: no endpoints", s.Name)
	}
	names := map[string]bool{}
	for _, e := range s.Endpoints {
		if e.Name == "" || names[e.Name] {
			return fmt.Errorf("scenario %s: endpoint name %q empty or repeated", s.Name, e.Name)
		}
		names[e.Name] = true
		if len(e.Profile) > 0 && !json.Valid(e.Profile) {
			return fmt.Errorf("scenario %s: endpoint %s: profile is not JSON", s.Name, e.Name)
		}
	}
	if len(s.Load) == 0 {
		return fmt.Errorf("scenario %s: no load", s.Name)
	}
	for _, p := range s.Load {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("scenario %s: %w", s.Name, err)
		}
	}
	for _, c := range s.timeline() {
		switch c.Action {
		case ChaosKillRegistry, ChaosRestartRegistry:
		case ChaosStopEndpoint, ChaosStartEndpoint, ChaosPauseEndpoint, ChaosUnpauseEndpoint, ChaosPartition, ChaosHeal, ChaosSetProfile:
			if !names[c.Endpoint] {
				return fmt.Errorf("scenario %s: chaos %s at %s: unknown endpoint %q", s.Name, c.Action, c.At, c.Endpoint)
			}
		default:
			return fmt.Errorf("scenario %s: unknown chaos action %q", s.Name, c.Action)
		}
	}
	for ep := range s.Expect.Final {
		if !names[ep] {
			return fmt.Errorf("scenario %s: expectation for unknown endpoint %q", s.Name, ep)
		}
	}
	return nil
}

// Catalog is a set of scenarios by name; safe for concurrent use.
type Catalog struct {
	mu sync.Mutex
	m  map[string]Scenario
}

// Add registers s; a duplicate or invalid scenario is an error.
func (c *Catalog) Add(s Scenario) error {
	if err := s.Validate(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]Scenario{}
	}
	if _, dup := c.m[s.Name]; dup {
		return fmt.Errorf("scenario %s registered twice", s.Name)
	}
	c.m[s.Name] = s
	return nil
}

// Get returns the named scenario.
func (c *Catalog) Get(name string) (Scenario, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[name]
	return s, ok
}

// All returns every scenario sorted by name.
func (c *Catalog) All() []Scenario {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Scenario, 0, len(c.m))
	for _, s := range c.m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// timeline is every chaos step, during and after the load.
func (s Scenario) timeline() []ChaosStep {
	return append(append([]ChaosStep(nil), s.Chaos...), s.AfterLoad...)
}
