package scenarios

import (
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "secrets-redacted",
			Description: "An endpoint whose URL carries a password and a query token and whose headers carry a bearer token: " +
				"events are delivered, and neither /debug/vars nor /metrics shows any of those values.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: ok(),
				Headers:     map[string][]string{"Authorization": {"Bearer hdr-s3cret-token"}},
				URLUserInfo: "hook:url-pa55word",
				URLQuery:    "token=query-t0ken-value&sig=query-s1gnature",
			}},
			Load: []load.Profile{pushes(5, 20)},
			Expect: model.Expect{
				Final: map[string]model.Counters{"sink": {"Events": 7, "Successes": 7, "Failures": 0, "Errors": 0, "Pending": 0}},
			},
		}
	})
}
