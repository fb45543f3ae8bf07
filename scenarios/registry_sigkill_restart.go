package scenarios

import (
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name: "registry-sigkill-restart",
			Description: "registry-kill-restart with queue: disk: the receiver refuses connections while 40 manifests are " +
				"pushed, the registry is killed at 1s (kill -9 where the runtime can) and restarted on the same storage " +
				"at 1.2s, the receiver comes back at 1.5s: every accepted event survives on disk and is delivered with " +
				"its original id: none lost, and no duplicates (nothing was in flight at the kill).",
			Endpoints: []harness.EndpointDef{{Name: "sink", Profile: profile{"refuse": true}.json(),
				Delivery:  harness.DeliverySettings{DiskQueue: true},
				Tolerance: harness.Tolerance{Refusals: true}}},
			Load: []load.Profile{pushes(40, 20)},
			Chaos: []harness.ChaosStep{
				{At: ms(1000), Action: harness.ChaosKillRegistry},
				{At: ms(1200), Action: harness.ChaosRestartRegistry},
				{At: ms(1500), Action: harness.ChaosSetProfile, Endpoint: "sink", Profile: ok()},
			},
			Expect: harness.Expect{
				Final: map[string]harness.Counters{"sink": {"Pending": 0, "Failures": 0}},
			},
			Needs: []harness.Capability{harness.NeedOwnRegistry},
		}
	})
}
