package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Labels: []string{LabelKill9},
			Name:   "registry-sigkill-mid-delivery",
			Description: "queue: disk, a receiver taking 50 ms per POST, one POST at a time: the registry is killed at 1s " +
				"while delivering (kill -9 where the runtime can) and restarted at 1.2s: nothing accepted is lost, and " +
				"at most 2 events are delivered twice (same id): the one in flight at the kill and the one before it, " +
				"whose removal from the file is committed while the next POST is under way.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: latency(ms(50)),
				Delivery:  model.DeliverySettings{DiskQueue: true, Concurrency: 1},
				Tolerance: model.Tolerance{Refusals: true, InFlight: 2}}},
			Load: []load.Profile{pushes(40, 20)},
			Chaos: []chaos.Step{
				{At: ms(1000), Action: chaos.KillRegistry{}},
				{At: ms(1200), Action: chaos.RestartRegistry{}},
			},
			Expect: model.Expect{
				Final: map[string]model.Counters{"sink": {"Pending": 0, "Failures": 0}},
				// Deliveries are behind at the kill: 50 ms each, 20 pushes/s plus blobs.
				Eventually: []model.Condition{{Endpoint: "sink", Counter: "Pending", Op: ">=", Value: 1}},
			},
			Needs: []model.Capability{model.NeedOwnRegistry},
		}
	})
}
