package scenarios

import (
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name:   "smoke",
			Labels: []string{LabelCatchesDroppedEvents, LabelCatchesForgottenPending},
			Description: "every event-producing operation once (uploads of each kind, mount, manifest pushes by tag, digest " +
				"and ?tag=, index, artifact with subject, deletes, GET and HEAD pulls) to a healthy receiver: each event " +
				"delivered once with the content its operation owes, Pending back to 0, every answer 200.",
			Registry:  model.RegistryFragment{DeleteEnabled: true},
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: ok()}},
			// One cycle of the default mix: each of the 16 operations once.
			Load: []load.Profile{{Op: load.OpMixed, Count: len(load.Operations()), Pacing: load.Pacing{Rate: 40}}},
			Expect: model.Expect{
				// Seeding 4 (config, layer, empty config, base manifest) + 23:
				// 1 per upload (3), pull (4), push by tag or digest (2), index and
				// artifact (2); 2 for mount, tag delete and blob delete (upload or
				// push first); 3 for ?tag= (one per tag) and manifest delete (push,
				// manifest delete, tag delete).
				Final: map[string]model.Counters{"sink": {"Events": 27, "Successes": 27, "Failures": 0, "Errors": 0, "Pending": 0, "Statuses[200 OK]": 27}},
			},
		}
	})
}
