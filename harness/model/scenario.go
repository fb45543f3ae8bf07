// Package model is the scenario model: what a scenario declares (endpoints
// and their fault profiles, load, chaos timeline, expectations, tolerances,
// needs) and the registry config it implies. It runs nothing.
package model

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/load"
)

// Scenario is one declarative test of a registry's notification pipeline.
// The catalog lives in scenarios/, one file per scenario.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	// Labels select scenarios in test suites (e.g. "kill-9", "outage").
	Labels []string `yaml:"labels,omitempty"`
	// Runtimes this scenario is meant for ("inprocess", "process",
	// "docker"); empty means every runtime that has what it needs.
	Runtimes []string `yaml:"runtimes,omitempty"`
	// Registry is the registry-side configuration beyond the endpoints.
	Registry RegistryFragment `yaml:"registry,omitempty"`
	// Endpoints are fake receivers, each with its registry endpoint settings.
	Endpoints []EndpointDef `yaml:"endpoints"`
	// Load phases, run one after the other.
	Load []load.Profile `yaml:"load"`
	// Chaos timeline, relative to the start of the first load phase.
	Chaos []chaos.Step `yaml:"-"`
	// AfterLoad is a second timeline, relative to the end of the last load
	// phase (and of Chaos), e.g. to end an outage whatever the load's length.
	AfterLoad []chaos.Step `yaml:"-"`
	// Expect: final values and conditions that hold throughout.
	Expect Expect `yaml:"expect,omitempty"`
	// Needs lists what the registry must be able to do (chaos needs are
	// found from the timeline).
	Needs []Capability `yaml:"needs,omitempty"`
	// Topology: replicas, storage, queue and balancer (zero: one registry
	// on filesystem storage). Only a runtime.Cluster runs a clustered one.
	Topology runtime.Topology `yaml:"topology,omitempty" json:"topology,omitempty"`
}

// RegistryFragment is the part of the registry config a scenario controls.
type RegistryFragment struct {
	IncludeReferences bool `yaml:"includeReferences,omitempty"`
	DeleteEnabled     bool `yaml:"deleteEnabled,omitempty"`
}

// EndpointDef is one fake receiver and the registry's settings for it.
type EndpointDef struct {
	Name string `yaml:"name"`
	// Profile is the fake's fault profile (the zero profile answers 200).
	Profile   endpoint.Profile    `yaml:"profile,omitempty"`
	Timeout   time.Duration       `yaml:"timeout,omitempty"`   // registry's notification timeout (default 300ms in scenarios)
	Threshold int                 `yaml:"threshold,omitempty"` // default 3
	Backoff   time.Duration       `yaml:"backoff,omitempty"`   // default 100ms
	Ignore    Ignore              `yaml:"ignore,omitempty"`
	Headers   map[string][]string `yaml:"headers,omitempty"`
	// IgnoredMediaTypes is Distribution's older top-level ignore list.
	IgnoredMediaTypes []string  `yaml:"ignoredMediaTypes,omitempty"`
	Tolerance         Tolerance `yaml:"tolerance,omitempty"`
	// Delivery holds our registry's opt-in delivery settings.
	Delivery DeliverySettings `yaml:"delivery,omitempty"`
	// URLUserInfo ("user:password") and URLQuery ("token=..."), when set,
	// are put into the endpoint URL the registry is given: secrets that
	// must never be shown (the verdict's Secrets checks look for them).
	URLUserInfo string `yaml:"urlUserInfo,omitempty"`
	URLQuery    string `yaml:"urlQuery,omitempty"`
}

// Secret is a value of an endpoint's settings that must never be shown,
// and what it is (for a message that names it without showing it).
type Secret struct {
	What, Value string
}

// Secrets are the endpoint's header values, URL password (the whole user
// info when it has no password), URL query values and signing secrets.
func (e EndpointDef) Secrets() []Secret {
	var out []Secret
	for i, v := range e.Delivery.Secrets {
		out = append(out, Secret{What: fmt.Sprintf("%s signing secret %d", e.Name, i), Value: v})
	}
	for _, k := range slices.Sorted(maps.Keys(e.Headers)) {
		for _, v := range e.Headers[k] {
			out = append(out, Secret{What: e.Name + " header " + k, Value: v})
		}
	}
	if e.URLUserInfo != "" {
		_, pw, ok := strings.Cut(e.URLUserInfo, ":")
		if !ok {
			pw = e.URLUserInfo
		}
		out = append(out, Secret{What: e.Name + " URL password", Value: pw})
	}
	q, _ := url.ParseQuery(e.URLQuery)
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			out = append(out, Secret{What: e.Name + " URL query " + k, Value: v})
		}
	}
	return out
}

// URL is base (the receiver as the registry dials it) with the
// endpoint's URL user info and query.
func (e EndpointDef) URL(base string) (string, error) {
	if e.URLUserInfo == "" && e.URLQuery == "" {
		return base, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	if e.URLUserInfo != "" {
		user, pw, ok := strings.Cut(e.URLUserInfo, ":")
		if ok {
			u.User = url.UserPassword(user, pw)
		} else {
			u.User = url.User(user)
		}
	}
	u.RawQuery = e.URLQuery
	return u.String(), nil
}

// IgnoreOf merges both of Distribution's ignore lists.
func (e EndpointDef) IgnoreOf() Ignore {
	ig := e.Ignore
	ig.MediaTypes = append(append([]string(nil), ig.MediaTypes...), e.IgnoredMediaTypes...)
	return ig
}

// Counters names expected endpoint counters: "Pending", "Events",
// "Successes", "Failures", "Errors", or "Statuses[<code> <text>]"
// (endpoint.EndpointMetrics.Counter).
type Counters map[string]int

// Expect holds a scenario's expectations besides reconciliation, which
// always runs.
type Expect struct {
	// Final exact counters per endpoint after the drain.
	Final map[string]Counters `yaml:"final,omitempty"`
	// Throughout holds on every sample.
	Throughout []Condition `yaml:"throughout,omitempty"`
	// Eventually holds on at least one sample (e.g. "Errors rose during the outage").
	Eventually []Condition `yaml:"eventually,omitempty"`
	// DrainTimeout bounds the wait for Pending to reach its final value (default 15s).
	DrainTimeout time.Duration `yaml:"drainTimeout,omitempty"`
	// MaxHeapAlloc, when set, bounds the registry's HeapAlloc on every sample
	// (memstats from /debug/vars; in-process it includes the harness's own heap).
	MaxHeapAlloc uint64 `yaml:"maxHeapAlloc,omitempty"`
	// DeadLetterEvents: events expected in each endpoint's dead-letter log
	// (DeliverySettings.DeadLetter), read where the runtime's storage is local.
	DeadLetterEvents map[string]int `yaml:"deadLetterEvents,omitempty"`
}

// Condition compares one endpoint counter with a value.
type Condition struct {
	Endpoint string `yaml:"endpoint"`
	Counter  string `yaml:"counter"` // as in Counters
	Op       string `yaml:"op"`      // "<=", ">=", "==", ">", "<"
	Value    int    `yaml:"value"`
}

func (c Condition) String() string {
	return fmt.Sprintf("%s %s %s %d", c.Endpoint, c.Counter, c.Op, c.Value)
}

// Holds evaluates c against one sample's endpoint metrics.
func (c Condition) Holds(endpoints map[string]endpoint.EndpointMetrics) (bool, int, error) {
	m, ok := endpoints[c.Endpoint]
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

// Capability is something a scenario needs from the registry under test.
type Capability string

// Capabilities scenarios can need.
const (
	NeedSingleRequestUpload Capability = "single-request-upload"
	NeedOwnRegistry         Capability = "own-registry" // our extensions or fault hooks
	NeedDebugVars           Capability = "debug-vars"
)

// Missing returns the needs that reg cannot meet.
func (s Scenario) Missing(reg runtime.Registry) []Capability {
	var out []Capability
	for _, n := range s.needs() {
		ok := true
		switch n {
		case NeedSingleRequestUpload:
			ok = reg.SingleRequestUpload
		case NeedOwnRegistry:
			ok = reg.OwnRegistry
		case NeedDebugVars:
			ok = reg.DebugURL != ""
		}
		if !ok {
			out = append(out, n)
		}
	}
	return out
}

// needs adds what the endpoints imply to the declared needs.
func (s Scenario) needs() []Capability {
	set := map[Capability]bool{NeedDebugVars: true}
	for _, n := range s.Needs {
		set[n] = true
	}
	for _, e := range s.Endpoints {
		if !e.Delivery.IsZero() {
			set[NeedOwnRegistry] = true // delivery settings are our extensions
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Timeline is every chaos step, during and after the load.
func (s Scenario) Timeline() []chaos.Step {
	return append(append([]chaos.Step(nil), s.Chaos...), s.AfterLoad...)
}

// HasLabel reports whether s carries label l.
func (s Scenario) HasLabel(l string) bool { return slices.Contains(s.Labels, l) }

// RunsOn reports whether s is meant for the named runtime.
func (s Scenario) RunsOn(runtime string) bool {
	return len(s.Runtimes) == 0 || slices.Contains(s.Runtimes, runtime)
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
		if err := e.Profile.Validate(); err != nil {
			return fmt.Errorf("scenario %s: endpoint %s: %w", s.Name, e.Name, err)
		}
	}
	if err := s.Topology.Validate(); err != nil {
		return fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	if len(s.Load) == 0 {
		return fmt.Errorf("scenario %s: no load", s.Name)
	}
	for _, p := range s.Load {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("scenario %s: %w", s.Name, err)
		}
	}
	for _, c := range s.Timeline() {
		if c.Action == nil {
			return fmt.Errorf("scenario %s: chaos step at %s without an action", s.Name, c.At)
		}
		if t := c.Action.Target(); t != "" && !names[t] {
			return fmt.Errorf("scenario %s: chaos %s at %s: unknown endpoint %q", s.Name, c.Action.Name(), c.At, t)
		}
		if sp, ok := c.Action.(chaos.SetProfile); ok {
			if err := sp.Profile.Validate(); err != nil {
				return fmt.Errorf("scenario %s: chaos %s at %s: %w", s.Name, sp.Name(), c.At, err)
			}
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
func (c *Catalog) All() []Scenario { return c.Select(func(Scenario) bool { return true }) }

// Select returns the scenarios keep accepts, sorted by name.
func (c *Catalog) Select(keep func(Scenario) bool) []Scenario {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Scenario
	for _, name := range slices.Sorted(maps.Keys(c.m)) {
		if s := c.m[name]; keep(s) {
			out = append(out, s)
		}
	}
	return out
}
