package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name:        "endpoint-paused",
			Description: "The receiver's container is frozen (docker pause) for 1.7s: connections are accepted, nothing answers, the registry times out.",
			Labels:      []string{LabelOutage},
			Runtimes:    onDocker(),
			Endpoints: []model.EndpointDef{{Name: "sink",
				Tolerance: model.Tolerance{Timeouts: true}}},
			Load: []load.Profile{pushes(30, 20)},
			Chaos: []chaos.Step{
				{At: ms(300), Action: chaos.PauseEndpoint{Endpoint: "sink"}},
				{At: ms(2000), Action: chaos.UnpauseEndpoint{Endpoint: "sink"}},
			},
			Expect: outageExpect(),
		}
	})
}
