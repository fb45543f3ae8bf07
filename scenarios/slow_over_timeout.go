package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "slow-over-timeout",
			Description: "The receiver takes 500ms, longer than the registry's 300ms timeout, until 1.5s: each attempt is an Error (the receiver counts the timeouts) " +
				"and the receiver sees the same event id again; then it is fast and Pending drains to 0.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: latency(ms(500)), Timeout: ms(300)}},
			Load:      []load.Profile{pushes(10, 20)},
			Chaos: []chaos.Step{
				{At: ms(1500), Action: chaos.SetProfile{Endpoint: "sink", Profile: ok()}},
			},
			Expect: model.Expect{
				Final:      map[string]model.Counters{"sink": {"Events": 12, "Successes": 12, "Failures": 0, "Pending": 0}},
				Eventually: []model.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">=", Value: 3}},
			},
		}
	})
}
