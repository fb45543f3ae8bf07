// Package scenarios is the scenario catalog: one file per scenario, each
// registering a declarative model.Scenario. Adding a scenario means adding
// one file with an init that calls register.
package scenarios

import (
	"fmt"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

// Labels that suites select scenarios by.
const (
	// LabelKill9: the point is a registry kill; suites also run these as
	// processes, where the kill is a real SIGKILL.
	LabelKill9 = "kill-9"
	// LabelOutage: Errors rise during a fault and every event is delivered
	// after it; suites add those assertions on the samples.
	LabelOutage = "outage"
	// LabelLossReport: events may be lost on purpose; suites report how
	// many, and check only that nothing else went wrong.
	LabelLossReport = "loss-report"
	// The self-test breaks our notifier with one fault hook
	// (notifications.Faults) and runs the scenarios labelled for it: each
	// must fail, naming the broken counter.
	LabelCatchesDroppedEvents    = "catches-dropped-events"     // DropOneIn
	LabelCatchesForgottenPending = "catches-forgotten-pending"  // ForgetPendingDecrement
	LabelCatchesFailureAsSuccess = "catches-failure-as-success" // CountFailureAsSuccess
)

// constructors is filled by init functions only and read-only afterwards.
var constructors []func() model.Scenario

func register(f func() model.Scenario) { constructors = append(constructors, f) }

// Catalog returns a fresh catalog of every scenario; an invalid or duplicate
// scenario is an error naming it.
func Catalog() (*model.Catalog, error) {
	c := &model.Catalog{}
	for _, f := range constructors {
		if err := c.Add(f()); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// MustCatalog is Catalog for callers that treat a bad catalog as a bug.
func MustCatalog() *model.Catalog {
	c, err := Catalog()
	if err != nil {
		panic(fmt.Sprintf("scenarios: %v", err))
	}
	return c
}

// Helpers shared by the scenario files.

func pushes(n int, rate float64) load.Profile {
	return load.Profile{Op: load.OpManifestPush, Count: n, Pacing: load.Pacing{Rate: rate}}
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// Fault profiles of the fake receiver (fakes/endpoint.Profile).

func ok() endpoint.Profile { return endpoint.Profile{} }

func refuse() endpoint.Profile { return endpoint.Profile{Refuse: true} }

func statusSequence(codes ...int) endpoint.Profile {
	return endpoint.Profile{Fault: endpoint.Fault{Sequence: codes}}
}

func errorRate(rate float64, status int, seed int64) endpoint.Profile {
	return endpoint.Profile{Fault: endpoint.Fault{ErrorRate: rate, ErrorStatus: status, Seed: seed}}
}

func latency(d time.Duration) endpoint.Profile {
	return endpoint.Profile{Fault: endpoint.Fault{Latency: &endpoint.Latency{Fixed: endpoint.Duration(d)}}}
}

func hang() endpoint.Profile { return endpoint.Profile{Fault: endpoint.Fault{Hang: true}} }

func reset() endpoint.Profile { return endpoint.Profile{Fault: endpoint.Fault{Reset: true}} }

func flap(period time.Duration) endpoint.Profile {
	return endpoint.Profile{Flap: endpoint.Duration(period)}
}
