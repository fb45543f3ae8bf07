package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "registry-kill-restart",
			Description: "The receiver is down while manifests are pushed; the registry is killed at 1s (nothing drained) and " +
				"restarted on the same storage at 1.2s, the receiver comes back at 1.5s: with Distribution's in-memory queue " +
				"every event pending at the kill is lost (reported as Lost), later ones are delivered and Pending ends at 0.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: ok(),
				Tolerance: model.Tolerance{Refusals: true, AllowLost: true}}},
			Load: []load.Profile{pushes(40, 20)},
			Chaos: []chaos.Step{
				{At: 0, Action: chaos.StopEndpoint{Endpoint: "sink"}},
				{At: ms(1000), Action: chaos.KillRegistry{}},
				{At: ms(1200), Action: chaos.RestartRegistry{}},
				{At: ms(1500), Action: chaos.StartEndpoint{Endpoint: "sink"}},
			},
			Expect: model.Expect{
				Final: map[string]model.Counters{"sink": {"Pending": 0, "Failures": 0}},
			},
		}
	})
}
