package scenarios

import (
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name: "flapping",
			Description: "The receiver goes up and down every 250ms while 30 manifests are pushed over 1.5s, then stays up: " +
				"every event is delivered once, in order, Pending back to 0.",
			Endpoints: []harness.EndpointDef{{Name: "sink", Profile: flap(ms(250)),
				Tolerance: harness.Tolerance{Refusals: true, CheckOrder: true}}},
			Load: []load.Profile{pushes(30, 20)},
			Chaos: []harness.ChaosStep{
				{At: ms(2000), Action: harness.ChaosSetProfile, Endpoint: "sink", Profile: ok()},
			},
			Expect: harness.Expect{
				Final: map[string]harness.Counters{"sink": {"Events": 32, "Successes": 32, "Failures": 0, "Pending": 0}},
			},
		}
	})
}
