package scenarios

import (
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name: "poison-event-blocks",
			Description: "poison-event with Distribution's defaults (no dead letters, retry forever): the first poisoned " +
				"event blocks the queue's head, so everything from it onward stays pending (Pending = poisoned + later " +
				"events) and nothing pushed after it is delivered (Successes = the events before it).",
			Endpoints: []harness.EndpointDef{{Name: "sink", Profile: rejectRepository("hookbench/poison-*", 400),
				// The registry keeps retrying between its last sample and the
				// receiver's count: registry <= receiver for answers.
				Tolerance: harness.Tolerance{Pending: poisonEvents + poisonOK - poisonBefore, Timeouts: true}}},
			Load: []load.Profile{
				pushesTo("hookbench/ok-a", 4, 12, 40),
				pushesTo("hookbench/poison", 1, 6, 40),
				pushesTo("hookbench/ok-b", 4, 12, 40),
			},
			Expect: harness.Expect{
				Final: map[string]harness.Counters{"sink": {
					"Pending": poisonEvents + poisonOK - poisonBefore, "Successes": poisonBefore, "Statuses[200 OK]": poisonBefore, "Errors": 0,
				}},
				Throughout:   []harness.Condition{{Endpoint: "sink", Counter: "Successes", Op: "<=", Value: poisonBefore}},
				Eventually:   []harness.Condition{{Endpoint: "sink", Counter: "Failures", Op: ">", Value: 3}},
				DrainTimeout: 5e9,
			},
		}
	})
}
