package scenarios

import (
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name: "multi-endpoint-isolation",
			Description: "Two endpoints, one dead for the whole run: the healthy one gets every event with no error while the " +
				"dead one holds all 22 in Pending (Distribution never drops them while running).",
			Endpoints: []harness.EndpointDef{
				{Name: "healthy", Profile: ok()},
				{Name: "dead", Profile: ok(), Tolerance: harness.Tolerance{Refusals: true, Pending: 22}},
			},
			Load: []load.Profile{pushes(20, 40)},
			Chaos: []harness.ChaosStep{
				{At: 0, Action: harness.ChaosStopEndpoint, Endpoint: "dead"},
			},
			Expect: harness.Expect{
				Final: map[string]harness.Counters{
					"healthy": {"Events": 22, "Successes": 22, "Failures": 0, "Errors": 0, "Pending": 0},
					"dead":    {"Events": 22, "Successes": 0, "Failures": 0, "Pending": 22},
				},
				Throughout: []harness.Condition{
					{Endpoint: "healthy", Counter: "Errors", Op: "==", Value: 0},
					{Endpoint: "healthy", Counter: "Failures", Op: "==", Value: 0},
					{Endpoint: "dead", Counter: "Successes", Op: "==", Value: 0},
				},
				Eventually: []harness.Condition{{Endpoint: "dead", Counter: "Errors", Op: ">", Value: 0}},
			},
		}
	})
}
