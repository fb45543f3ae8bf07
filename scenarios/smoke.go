package scenarios

import (
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name:        "smoke",
			Description: "20 manifest pushes to a healthy receiver: every push event delivered once, Pending back to 0, every answer 200.",
			Endpoints:   []harness.EndpointDef{{Name: "sink", Profile: ok()}},
			Load:        []load.Profile{pushes(20, 40)},
			Expect: harness.Expect{
				Final: map[string]harness.Counters{"sink": {"Events": 22, "Successes": 22, "Failures": 0, "Errors": 0, "Pending": 0, "Statuses[200 OK]": 22}},
			},
		}
	})
}
