package scenarios

import (
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "burst-load",
			Description: "400 manifest pushes over 4 repositories as fast as 16 workers go, then 100 portable two-step blob " +
				"uploads: 508 events, all delivered once, Pending back to 0.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: ok(), Timeout: ms(2000)}},
			Load: []load.Profile{
				{Op: load.OpManifestPush, Count: 400, Repositories: 4, Workers: 16, MaxWorkers: 16},
				{Op: load.OpBlobPush, Count: 100, Upload: "two-step", Workers: 8, MaxWorkers: 8, RepoPrefix: "hookbench/blobs"},
			},
			Expect: model.Expect{
				Final:        map[string]model.Counters{"sink": {"Events": 508, "Successes": 508, "Failures": 0, "Errors": 0, "Pending": 0}},
				DrainTimeout: 30e9,
			},
		}
	})
}
