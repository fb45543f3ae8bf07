package scenarios

import (
	"github.com/hookbench/hookbench/harness/load"
	"github.com/hookbench/hookbench/harness/model"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name:        "smoke",
			Labels:      []string{LabelCatchesDroppedEvents, LabelCatchesForgottenPending},
			Description: "20 manifest pushes to a healthy receiver: every push event delivered once, Pending back to 0, every answer 200.",
			Endpoints:   []model.EndpointDef{{Name: "sink", Profile: ok()}},
			Load:        []load.Profile{pushes(20, 40)},
			Expect: model.Expect{
				Final: map[string]model.Counters{"sink": {"Events": 22, "Successes": 22, "Failures": 0, "Errors": 0, "Pending": 0, "Statuses[200 OK]": 22}},
			},
		}
	})
}
