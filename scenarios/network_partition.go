package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name:        "network-partition",
			Description: "The receiver's container is disconnected from the network for 1.8s while 30 manifests are pushed.",
			Labels:      []string{LabelOutage},
			Runtimes:    onDocker(),
			Endpoints: []model.EndpointDef{{Name: "sink",
				Tolerance: model.Tolerance{Refusals: true, Timeouts: true}}},
			Load: []load.Profile{pushes(30, 20)},
			Chaos: []chaos.Step{
				{At: ms(200), Action: chaos.Partition{Endpoint: "sink"}},
				{At: ms(2000), Action: chaos.Heal{Endpoint: "sink"}},
			},
			Expect: outageExpect(),
		}
	})
}
