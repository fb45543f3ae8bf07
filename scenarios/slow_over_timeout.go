package scenarios

import (
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name: "slow-over-timeout",
			Description: "The receiver takes 500ms, longer than the registry's 300ms timeout, until 1.5s: each attempt is an Error (the receiver counts the timeouts) " +
				"and the receiver sees the same event id again; then it is fast and Pending drains to 0.",
			Endpoints: []harness.EndpointDef{{Name: "sink", Profile: latency(ms(500)), Timeout: ms(300)}},
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
