package scenarios

import (
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "flaky-5xx",
			Description: "A receiver answering 500 to 30% of requests (seeded): every failed attempt is counted in Failures and " +
				"Statuses exactly as the receiver answered, every event is finally delivered.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: errorRate(0.3, 500, 42)}},
			Load:      []load.Profile{pushes(40, 50)},
			Expect: model.Expect{
				Final:      map[string]model.Counters{"sink": {"Events": 42, "Successes": 42, "Errors": 0, "Pending": 0, "Statuses[200 OK]": 42}},
				Eventually: []model.Condition{{Endpoint: "sink", Counter: "Failures", Op: ">", Value: 0}},
			},
		}
	})
}
