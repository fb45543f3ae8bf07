package scenarios

import (
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name: "registry-sigkill-mid-delivery",
			Description: "queue: disk, a receiver taking 50 ms per POST, one POST at a time: the registry is killed at 1s " +
				"while delivering (kill -9 where the runtime can) and restarted at 1.2s: nothing accepted is lost, and " +
				"at most 2 events are delivered twice (same id): the one in flight at the kill and the one before it, " +
				"whose removal from the file is committed while the next POST is under way.",
			Endpoints: []harness.EndpointDef{{Name: "sink", Profile: latency(ms(50)),
				Delivery:  harness.DeliverySettings{DiskQueue: true, Concurrency: 1},
				Tolerance: harness.Tolerance{Refusals: true, InFlight: 2}}},
			Load: []load.Profile{pushes(40, 20)},
			Chaos: []harness.ChaosStep{
				{At: ms(1000), Action: harness.ChaosKillRegistry},
				{At: ms(1200), Action: harness.ChaosRestartRegistry},
			},
			Expect: harness.Expect{
				Final: map[string]harness.Counters{"sink": {"Pending": 0, "Failures": 0}},
				// Deliveries are behind at the kill: 50 ms each, 20 pushes/s plus blobs.
				Eventually: []harness.Condition{{Endpoint: "sink", Counter: "Pending", Op: ">=", Value: 1}},
			},
			Needs: []harness.Capability{harness.NeedOwnRegistry},
		}
	})
}
