package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "tcp-faults",
			Description: "TCP faults between the registry and a healthy receiver: answers delayed 500ms (past the registry's " +
				"300ms timeout) with a 200ms slow close and 64KB/s, then every connection reset, then cleared.",
			Labels:   []string{LabelOutage},
			Runtimes: onDocker(),
			Endpoints: []model.EndpointDef{{Name: "sink",
				Tolerance: model.Tolerance{Refusals: true, Timeouts: true}}},
			Load: []load.Profile{pushes(30, 20)},
			Chaos: []chaos.Step{
				{At: ms(200), Action: chaos.Latency{Endpoint: "sink", Delay: ms(500)}},
				{At: ms(200), Action: chaos.SlowClose{Endpoint: "sink", Delay: ms(200)}},
				{At: ms(200), Action: chaos.Bandwidth{Endpoint: "sink", KBps: 64}},
				{At: ms(900), Action: chaos.ClearNetworkFaults{Endpoint: "sink"}},
				{At: ms(900), Action: chaos.ResetPeer{Endpoint: "sink"}},
				{At: ms(1600), Action: chaos.ClearNetworkFaults{Endpoint: "sink"}},
			},
			Expect: outageExpect(),
		}
	})
}
