package scenarios

import (
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		// 2 blobs + 10 manifest pushes; then 2 blobs + 1 manifest seeded and 10 pulls.
		return model.Scenario{
			Name: "ignore-rules",
			Description: "Three endpoints with different ignore rules see the same pushes and pulls: all gets 25 events, " +
				"no-blobs (ignoredmediatypes octet-stream) 21, no-pulls (ignore.actions pull) 15; ignored events are never counted.",
			Endpoints: []model.EndpointDef{
				{Name: "all", Profile: ok()},
				{Name: "no-blobs", Profile: ok(), IgnoredMediaTypes: []string{load.MediaTypeBlob}},
				{Name: "no-pulls", Profile: ok(), Ignore: model.Ignore{Actions: []string{"pull"}}},
			},
			Load: []load.Profile{
				pushes(10, 40),
				{Op: load.OpPull, Count: 10, Pacing: load.Pacing{Rate: 40}, RepoPrefix: "hookbench/pull"},
			},
			Expect: model.Expect{
				Final: map[string]model.Counters{
					"all":      {"Events": 25, "Successes": 25, "Pending": 0},
					"no-blobs": {"Events": 21, "Successes": 21, "Pending": 0},
					"no-pulls": {"Events": 15, "Successes": 15, "Pending": 0},
				},
			},
		}
	})
}
