package scenarios

import (
	"time"

	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "registry-sigkill-memory-queue",
			Description: "A slow receiver (100ms per answer) lets a backlog build in the in-memory queue; the registry's " +
				"container is killed with SIGKILL at 1s and started again on the same volume. Losses are counted, not failed.",
			Labels:   []string{LabelLossReport},
			Runtimes: onDocker(),
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: latency(ms(100)),
				Tolerance: model.Tolerance{AllowLost: true, Timeouts: true, Refusals: true}}},
			Load: []load.Profile{pushes(40, 30)},
			Chaos: []chaos.Step{
				{At: time.Second, Action: chaos.KillRegistry{}},
				{At: ms(1300), Action: chaos.RestartRegistry{}},
			},
			Expect: model.Expect{DrainTimeout: 30 * time.Second},
		}
	})
}
