package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "reset",
			Description: "The receiver closes every connection without an answer until 1s: each attempt is an Error, exactly one " +
				"per reset the receiver made, no Failures; then Pending drains to 0.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: reset()}},
			Load:      []load.Profile{pushes(10, 20)},
			Chaos: []chaos.Step{
				{At: ms(1000), Action: chaos.SetProfile{Endpoint: "sink", Profile: ok()}},
			},
			Expect: model.Expect{
				Final:      map[string]model.Counters{"sink": {"Events": 12, "Successes": 12, "Failures": 0, "Pending": 0}},
				Eventually: []model.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">=", Value: 3}},
			},
		}
	})
}
