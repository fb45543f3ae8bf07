package scenarios

import (
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name: "reset",
			Description: "The receiver closes every connection without an answer until 1s: each attempt is an Error, exactly one " +
				"per reset the receiver made, no Failures; then Pending drains to 0.",
			Endpoints: []harness.EndpointDef{{Name: "sink", Profile: reset()}},
			Load:      []load.Profile{pushes(10, 20)},
			Chaos: []harness.ChaosStep{
				{At: ms(1000), Action: harness.ChaosSetProfile, Endpoint: "sink", Profile: ok()},
			},
			Expect: harness.Expect{
				Final:      map[string]harness.Counters{"sink": {"Events": 12, "Successes": 12, "Failures": 0, "Pending": 0}},
				Eventually: []harness.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">=", Value: 3}},
			},
		}
	})
}
