package model

import (
	"slices"

	"github.com/hookbench/hookbench/load"
)

// Tolerance relaxes reconciliation where the scenario makes an exact
// independent count impossible, and says so in the report.
type Tolerance struct {
	// Timeouts: the receiver may answer after the registry gave up, so the
	// receiver's answers bound the registry's from above and duplicates are
	// expected.
	Timeouts bool `json:"timeouts,omitempty" yaml:"timeouts,omitempty"`
	// Refusals: connections were refused (endpoint stopped or refusing),
	// which the receiver cannot count, so Errors bounds resets+hangs from above.
	Refusals bool `json:"refusals,omitempty" yaml:"refusals,omitempty"`
	// CheckOrder: per-repository delivery order must follow event order.
	CheckOrder bool `json:"checkOrder,omitempty" yaml:"checkOrder,omitempty"`
	// Pending expected at the end (default 0: everything delivered).
	Pending int `json:"pending,omitempty" yaml:"pending,omitempty"`
	// Restarted: the registry was restarted during the run, so its
	// counters cover only its last life: registry <= observed. Set by Run
	// when the chaos timeline kills or restarts the registry.
	Restarted bool `json:"restarted,omitempty" yaml:"restarted,omitempty"`
	// AllowLost: events may be lost (e.g. a registry killed with an in-memory
	// queue); the count is reported, not failed.
	AllowLost bool `json:"allowLost,omitempty" yaml:"allowLost,omitempty"`
	// InFlight: up to this many duplicates are expected, e.g. events in
	// flight when the registry was killed (delivered, but not yet removed
	// from a durable queue).
	InFlight int `json:"inFlight,omitempty" yaml:"inFlight,omitempty"`
}

// Ignore mirrors an endpoint's ignore rules, to know what it is owed.
type Ignore struct {
	MediaTypes []string `json:"mediaTypes,omitempty" yaml:"mediaTypes,omitempty"`
	Actions    []string `json:"actions,omitempty" yaml:"actions,omitempty"`
}

// Drops reports whether the rules drop e before the queue.
func (ig Ignore) Drops(e load.Entry) bool {
	if slices.Contains(ig.Actions, e.Action) {
		return true
	}
	return e.MediaType != "" && slices.Contains(ig.MediaTypes, e.MediaType)
}
