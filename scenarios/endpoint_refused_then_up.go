package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "endpoint-refused-then-up",
			Description: "The receiver is down (connections refused) while 20 manifests are pushed, and comes back at 1.5s: " +
				"Errors rise, nothing fails with a status, then every event is delivered in order and Pending drains to 0.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: ok(),
				Tolerance: model.Tolerance{Refusals: true, CheckOrder: true}}},
			Load: []load.Profile{pushes(20, 40)},
			Chaos: []chaos.Step{
				{At: 0, Action: chaos.StopEndpoint{Endpoint: "sink"}},
				{At: ms(1500), Action: chaos.StartEndpoint{Endpoint: "sink"}},
			},
			Expect: model.Expect{
				Final:      map[string]model.Counters{"sink": {"Events": 22, "Successes": 22, "Failures": 0, "Pending": 0}},
				Eventually: []model.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">", Value: 0}, {Endpoint: "sink", Counter: "Pending", Op: ">=", Value: 20}},
				Throughout: []model.Condition{{Endpoint: "sink", Counter: "Failures", Op: "==", Value: 0}},
			},
		}
	})
}
