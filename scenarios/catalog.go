// Package scenarios is the scenario catalog: one file per scenario, each
// registering a declarative harness.Scenario. Adding a scenario means adding
// one file with an init that calls register.
package scenarios

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

// constructors is filled by init functions only and read-only afterwards.
var constructors []func() harness.Scenario

func register(f func() harness.Scenario) { constructors = append(constructors, f) }

// Catalog returns a fresh catalog of every scenario; an invalid or duplicate
// scenario is an error naming it.
func Catalog() (*harness.Catalog, error) {
	c := &harness.Catalog{}
	for _, f := range constructors {
		if err := c.Add(f()); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// MustCatalog is Catalog for callers that treat a bad catalog as a bug.
func MustCatalog() *harness.Catalog {
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

// profile is a fake endpoint fault profile (fakes/endpoint.Profile as JSON).
type profile map[string]any

func (p profile) json() json.RawMessage {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // only literal maps of plain values here
	}
	return b
}

func ok() json.RawMessage { return profile{}.json() }

func statusSequence(codes ...int) json.RawMessage { return profile{"sequence": codes}.json() }

func errorRate(rate float64, status int, seed int64) json.RawMessage {
	return profile{"errorRate": rate, "errorStatus": status, "seed": seed}.json()
}

func latency(d time.Duration) json.RawMessage { return profile{"latency": d.String()}.json() }

func hang() json.RawMessage { return profile{"hang": true}.json() }

func reset() json.RawMessage { return profile{"reset": true}.json() }

func flap(period time.Duration) json.RawMessage { return profile{"flap": period.String()}.json() }
