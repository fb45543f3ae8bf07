package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "hang",
			Description: "The receiver never answers until 1.5s: every attempt times out and counts as an Error, one per hang the " +
				"receiver saw; then it answers and Pending drains to 0.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: hang(), Timeout: ms(300)}},
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
