package scenarios

import (
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name: "hang",
			Description: "The receiver never answers until 1.5s: every attempt times out and counts as an Error, one per hang the " +
				"receiver saw; then it answers and Pending drains to 0.",
			Endpoints: []harness.EndpointDef{{Name: "sink", Profile: hang(), Timeout: ms(300)}},
			Load:      []load.Profile{pushes(10, 20)},
			Chaos: []harness.ChaosStep{
				{At: ms(1500), Action: harness.ChaosSetProfile, Endpoint: "sink", Profile: ok()},
			},
			Expect: harness.Expect{
				Final:      map[string]harness.Counters{"sink": {"Events": 12, "Successes": 12, "Failures": 0, "Pending": 0}},
				Eventually: []harness.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">=", Value: 3}},
			},
		}
	})
}
