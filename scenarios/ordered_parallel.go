package scenarios

import (
	"time"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name: "ordered-parallel",
			Description: "concurrency 8 to a receiver taking 2-8 ms per POST, 192 events over 16 repositories: POSTs go out " +
				"in parallel, yet for each repository the receiver's first acceptances follow event order (Order check " +
				"on its ledger); none lost, no duplicates, every counter exact.",
			Endpoints: []harness.EndpointDef{{Name: "sink",
				Profile:   profile{"latency": map[string]any{"min": (2 * time.Millisecond).String(), "max": (8 * time.Millisecond).String(), "seed": 8}}.json(),
				Delivery:  harness.DeliverySettings{Concurrency: 8},
				Tolerance: harness.Tolerance{CheckOrder: true}}},
			Load: []load.Profile{pushesTo("hookbench/ordered", 16, 160, 400)},
			Expect: harness.Expect{
				Final: map[string]harness.Counters{"sink": {
					"Events": 192, "Successes": 192, "Failures": 0, "Errors": 0, "Pending": 0, "Statuses[200 OK]": 192,
				}},
			},
		}
	})
}
