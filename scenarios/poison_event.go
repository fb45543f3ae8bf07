package scenarios

import (
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "poison-event",
			Description: "The receiver answers 400 to every event of repository hookbench/poison-0; with deadletter.on4xx each " +
				"of its POISON events is dead-lettered after one attempt (DeadLettered, Statuses 400 and Failures all equal " +
				"to their number) and every other event, pushed before and after, is delivered: none lost, Pending 0.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: rejectRepository("hookbench/poison-*", 400),
				Delivery: model.DeliverySettings{DeadLetter: true, On4xx: true, MaxAttempts: 5}}},
			Load: []load.Profile{
				pushesTo("hookbench/ok-a", 4, 12, 40),
				pushesTo("hookbench/poison", 1, 6, 40),
				pushesTo("hookbench/ok-b", 4, 12, 40),
			},
			Expect: model.Expect{
				Final: map[string]model.Counters{"sink": {
					"Pending": 0, "DeadLettered": poisonEvents, "Failures": poisonEvents,
					"Statuses[400 Bad Request]": poisonEvents, "Successes": poisonOK, "Errors": 0,
				}},
				DeadLetterEvents: map[string]int{"sink": poisonEvents},
			},
		}
	})
}

// Events of poison-event's load: 6 manifest pushes to the poisoned
// repository plus its 2 seeded blobs; per ok prefix 12 pushes plus 2
// seeded blobs in each of its 4 repositories.
const (
	poisonEvents = 8
	poisonBefore = 20 // ok-a, pushed before the poison
	poisonOK     = 40 // ok-a and ok-b
)
