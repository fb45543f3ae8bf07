package scenarios

import (
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name: "endpoint-refused-then-up",
			Description: "The receiver is down (connections refused) while 20 manifests are pushed, and comes back at 1.5s: " +
				"Errors rise, nothing fails with a status, then every event is delivered in order and Pending drains to 0.",
			Endpoints: []harness.EndpointDef{{Name: "sink", Profile: ok(),
				Tolerance: harness.Tolerance{Refusals: true, CheckOrder: true}}},
			Load: []load.Profile{pushes(20, 40)},
			Chaos: []harness.ChaosStep{
				{At: 0, Action: harness.ChaosStopEndpoint, Endpoint: "sink"},
				{At: ms(1500), Action: harness.ChaosStartEndpoint, Endpoint: "sink"},
			},
			Expect: harness.Expect{
				Final:      map[string]harness.Counters{"sink": {"Events": 22, "Successes": 22, "Failures": 0, "Pending": 0}},
				Eventually: []harness.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">", Value: 0}, {Endpoint: "sink", Counter: "Pending", Op: ">=", Value: 20}},
				Throughout: []harness.Condition{{Endpoint: "sink", Counter: "Failures", Op: "==", Value: 0}},
			},
		}
	})
}
