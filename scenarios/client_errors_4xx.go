package scenarios

import (
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name:   "client-errors-4xx",
			Labels: []string{LabelCatchesFailureAsSuccess},
			Description: "A receiver answering 400, 404, 200 in turn: Distribution retries 4xx like 5xx, so each of the 12 events " +
				"costs exactly 3 attempts: Failures 24, Statuses 400 x12, 404 x12, 200 x12.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: statusSequence(400, 404, 200)}},
			Load:      []load.Profile{pushes(10, 20)},
			Expect: model.Expect{
				Final: map[string]model.Counters{"sink": {
					"Events": 12, "Successes": 12, "Failures": 24, "Errors": 0, "Pending": 0,
					"Statuses[400 Bad Request]": 12, "Statuses[404 Not Found]": 12, "Statuses[200 OK]": 12,
				}},
			},
		}
	})
}
