package scenarios

import (
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "ordered-parallel",
			Description: "concurrency 8 to a receiver taking 2-8 ms per POST, 192 events over 16 repositories: POSTs go out " +
				"in parallel, yet for each repository the receiver's first acceptances follow event order (Order check " +
				"on its ledger); none lost, no duplicates, every counter exact.",
			Endpoints: []model.EndpointDef{{Name: "sink",
				Profile:   endpoint.Profile{Fault: endpoint.Fault{Latency: &endpoint.Latency{Min: endpoint.Duration(2 * time.Millisecond), Max: endpoint.Duration(8 * time.Millisecond), Seed: 8}}},
				Delivery:  model.DeliverySettings{Concurrency: 8},
				Tolerance: model.Tolerance{CheckOrder: true}}},
			Load: []load.Profile{pushesTo("hookbench/ordered", 16, 160, 400)},
			Expect: model.Expect{
				Final: map[string]model.Counters{"sink": {
					"Events": 192, "Successes": 192, "Failures": 0, "Errors": 0, "Pending": 0, "Statuses[200 OK]": 192,
				}},
			},
		}
	})
}
