package scenarios

import (
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "flapping",
			Description: "The receiver goes up and down every 250ms while 30 manifests are pushed over 1.5s, then stays up: " +
				"every event is delivered once, in order, Pending back to 0.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: flap(ms(250)),
				Tolerance: model.Tolerance{Refusals: true, CheckOrder: true}}},
			Load: []load.Profile{pushes(30, 20)},
			Chaos: []chaos.Step{
				{At: ms(2000), Action: chaos.SetProfile{Endpoint: "sink", Profile: ok()}},
			},
			Expect: model.Expect{
				Final: map[string]model.Counters{"sink": {"Events": 32, "Successes": 32, "Failures": 0, "Pending": 0}},
			},
		}
	})
}
