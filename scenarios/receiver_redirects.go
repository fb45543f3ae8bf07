package scenarios

import (
	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "receiver-redirects",
			Description: "A receiver answering 302, then 307 to another origin, then 200, in turn: a redirect delivers nothing, " +
				"so each of the 12 events costs exactly 3 attempts (Failures 24, Statuses 302 x12, 307 x12, 200 x12), " +
				"the other origin is never contacted and every event is delivered by its 200.",
			// Distribution counts a 3xx as delivered: against it the redirected
			// events are reported lost. The rule tested here is ours.
			Needs: []model.Capability{model.NeedOwnRegistry},
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: endpoint.Profile{
				Fault:    endpoint.Fault{Sequence: []int{302, 307, 200}},
				Location: "http://127.0.0.1:9/moved", // another origin: never followed
			}}},
			Load: []load.Profile{pushes(10, 20)},
			Expect: model.Expect{
				Final: map[string]model.Counters{"sink": {
					"Events": 12, "Successes": 12, "Failures": 24, "Errors": 0, "Pending": 0,
					"Statuses[302 Found]": 12, "Statuses[307 Temporary Redirect]": 12, "Statuses[200 OK]": 12,
				}},
			},
		}
	})
}
