package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name:        "endpoint-container-kill",
			Description: "The receiver's container is killed (SIGKILL) mid-load and started again 2s later; its ledger survives in the harness.",
			Labels:      []string{LabelOutage},
			Runtimes:    onDocker(),
			Endpoints: []model.EndpointDef{{Name: "sink",
				Tolerance: model.Tolerance{Refusals: true, Timeouts: true}}},
			Load: []load.Profile{pushes(40, 20)},
			Chaos: []chaos.Step{
				{At: ms(500), Action: chaos.StopEndpoint{Endpoint: "sink"}},
				{At: ms(2500), Action: chaos.StartEndpoint{Endpoint: "sink"}},
			},
			Expect: outageExpect(),
		}
	})
}
