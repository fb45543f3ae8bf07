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
			Name:   "registry-sigkill-restart",
			Description: "registry-kill-restart with queue: disk: the receiver refuses connections while 40 manifests are " +
				"pushed, the registry is killed at 1s (kill -9 where the runtime can) and restarted on the same storage " +
				"at 1.2s, the receiver comes back at 1.5s: every accepted event survives on disk and is delivered with " +
				"its original id: none lost, and no duplicates (nothing was in flight at the kill).",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: refuse(),
				Delivery:  model.DeliverySettings{DiskQueue: true},
				Tolerance: model.Tolerance{Refusals: true}}},
			Load: []load.Profile{pushes(40, 20)},
			Chaos: []chaos.Step{
				{At: ms(1000), Action: chaos.KillRegistry{}},
				{At: ms(1200), Action: chaos.RestartRegistry{}},
				{At: ms(1500), Action: chaos.SetProfile{Endpoint: "sink", Profile: ok()}},
			},
			Expect: model.Expect{
				Final: map[string]model.Counters{"sink": {"Pending": 0, "Failures": 0}},
			},
			Needs: []model.Capability{model.NeedOwnRegistry},
		}
	})
}
