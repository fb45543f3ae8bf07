package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "multi-endpoint-isolation",
			Description: "Two endpoints, one dead for the whole run: the healthy one gets every event with no error while the " +
				"dead one holds all 22 in Pending (Distribution never drops them while running).",
			Endpoints: []model.EndpointDef{
				{Name: "healthy", Profile: ok()},
				{Name: "dead", Profile: ok(), Tolerance: model.Tolerance{Refusals: true, Pending: 22}},
			},
			Load: []load.Profile{pushes(20, 40)},
			Chaos: []chaos.Step{
				{At: 0, Action: chaos.StopEndpoint{Endpoint: "dead"}},
			},
			Expect: model.Expect{
				Final: map[string]model.Counters{
					"healthy": {"Events": 22, "Successes": 22, "Failures": 0, "Errors": 0, "Pending": 0},
					"dead":    {"Events": 22, "Successes": 0, "Failures": 0, "Pending": 22},
				},
				Throughout: []model.Condition{
					{Endpoint: "healthy", Counter: "Errors", Op: "==", Value: 0},
					{Endpoint: "healthy", Counter: "Failures", Op: "==", Value: 0},
					{Endpoint: "dead", Counter: "Successes", Op: "==", Value: 0},
				},
				Eventually: []model.Condition{{Endpoint: "dead", Counter: "Errors", Op: ">", Value: 0}},
			},
		}
	})
}
