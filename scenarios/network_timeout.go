package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "network-timeout",
			Description: "For 1.5s no answer of a healthy receiver gets through to the registry (the connection stays " +
				"open, data is dropped): every attempt times out as an Error; once cleared, everything is delivered.",
			Labels:   []string{LabelOutage},
			Runtimes: onDocker(),
			Endpoints: []model.EndpointDef{{Name: "sink",
				Tolerance: model.Tolerance{Timeouts: true}}},
			Load: []load.Profile{pushes(30, 20)},
			Chaos: []chaos.Step{
				{At: ms(200), Action: chaos.Timeout{Endpoint: "sink"}},
				{At: ms(1700), Action: chaos.ClearNetworkFaults{Endpoint: "sink"}},
			},
			Expect: outageExpect(),
		}
	})
}
