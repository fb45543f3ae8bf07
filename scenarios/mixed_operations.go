package scenarios

import (
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		// Every operation, pushes and blob GETs weighted double, over four
		// repositories at 150 operations/s: 15 cycles of 19.
		mix := map[string]int{}
		for _, op := range load.Operations() {
			mix[op] = 1
		}
		mix[load.OpPushByTag], mix[load.OpUploadMonolithic], mix[load.OpBlobGet] = 2, 2, 2
		return model.Scenario{
			Name: "mixed-operations",
			Description: "285 operations of every kind (weighted mix, references included) over 4 repositories at 150/s: " +
				"all 406 events delivered once, each with exactly the content its operation owes.",
			Registry:  model.RegistryFragment{DeleteEnabled: true, IncludeReferences: true},
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: ok()}},
			Load: []load.Profile{{Op: load.OpMixed, Mix: mix, Count: 19 * 15, Repositories: 4,
				Pacing: load.Pacing{Rate: 150}, Workers: 8}},
			Expect: model.Expect{
				// Seeding 4 per repository (16); 210 from one-event operations
				// (15 hits each, 30 for the doubled ones); 90 from mount, tag
				// delete and blob delete (45 hits x 2); 90 from ?tag= and
				// manifest delete (30 hits x 3). catalog_test checks it
				// against Profile.Expected.
				Final: map[string]model.Counters{"sink": {"Events": 406, "Successes": 406, "Failures": 0, "Errors": 0, "Pending": 0, "Statuses[200 OK]": 406}},
			},
		}
	})
}
