package scenarios

import (
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name: "registry-kill-restart",
			Description: "The receiver is down while manifests are pushed; the registry is killed at 1s (nothing drained) and " +
				"restarted on the same storage at 1.2s, the receiver comes back at 1.5s: with Distribution's in-memory queue " +
				"every event pending at the kill is lost (reported as Lost), later ones are delivered and Pending ends at 0.",
			Endpoints: []harness.EndpointDef{{Name: "sink", Profile: ok(),
				Tolerance: harness.Tolerance{Refusals: true, AllowLost: true}}},
			Load: []load.Profile{pushes(40, 20)},
			Chaos: []harness.ChaosStep{
				{At: 0, Action: harness.ChaosStopEndpoint, Endpoint: "sink"},
				{At: ms(1000), Action: harness.ChaosKillRegistry},
				{At: ms(1200), Action: harness.ChaosRestartRegistry},
				{At: ms(1500), Action: harness.ChaosStartEndpoint, Endpoint: "sink"},
			},
			Expect: harness.Expect{
				Final: map[string]harness.Counters{"sink": {"Pending": 0, "Failures": 0}},
			},
		}
	})
}
