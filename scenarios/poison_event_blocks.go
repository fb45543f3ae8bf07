package scenarios

import (
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "poison-event-blocks",
			Description: "poison-event with Distribution's defaults (no dead letters, retry forever): the first poisoned " +
				"event blocks the queue's head, so everything from it onward stays pending (Pending = poisoned + later " +
				"events) and nothing pushed after it is delivered (Successes = the events before it).",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: rejectRepository("hookbench/poison-*", 400),
				// The registry keeps retrying between its last sample and the
				// receiver's count: registry <= receiver for answers.
				Tolerance: model.Tolerance{Pending: poisonEvents + poisonOK - poisonBefore, Timeouts: true}}},
			Load: []load.Profile{
				pushesTo("hookbench/ok-a", 4, 12, 40),
				pushesTo("hookbench/poison", 1, 6, 40),
				pushesTo("hookbench/ok-b", 4, 12, 40),
			},
			Expect: model.Expect{
				Final: map[string]model.Counters{"sink": {
					"Pending": poisonEvents + poisonOK - poisonBefore, "Successes": poisonBefore, "Statuses[200 OK]": poisonBefore, "Errors": 0,
				}},
				Throughout:   []model.Condition{{Endpoint: "sink", Counter: "Successes", Op: "<=", Value: poisonBefore}},
				Eventually:   []model.Condition{{Endpoint: "sink", Counter: "Failures", Op: ">", Value: 3}},
				DrainTimeout: 5e9,
			},
		}
	})
}
