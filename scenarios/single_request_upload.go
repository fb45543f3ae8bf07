package scenarios

import (
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "single-request-upload",
			Description: "50 blobs uploaded with one POST ?digest= each (OCI allows it; Distribution answers 202 and ignores " +
				"the body, so this needs the capability): 50 blob push events.",
			Needs:     []model.Capability{model.NeedSingleRequestUpload},
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: ok()}},
			Load:      []load.Profile{{Op: load.OpBlobPush, Count: 50, Upload: "single", Pacing: load.Pacing{Rate: 100}}},
			Expect: model.Expect{
				Final: map[string]model.Counters{"sink": {"Events": 50, "Successes": 50, "Pending": 0}},
			},
		}
	})
}
