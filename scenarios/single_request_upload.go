package scenarios

import (
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/load"
)

func init() {
	register(func() harness.Scenario {
		return harness.Scenario{
			Name: "single-request-upload",
			Description: "50 blobs uploaded with one POST ?digest= each (OCI allows it; Distribution answers 202 and ignores " +
				"the body, so this needs the capability): 50 blob push events.",
			Needs:     []harness.Capability{harness.NeedSingleRequestUpload},
			Endpoints: []harness.EndpointDef{{Name: "sink", Profile: ok()}},
			Load:      []load.Profile{{Op: load.OpBlobPush, Count: 50, Upload: "single", Pacing: load.Pacing{Rate: 100}}},
			Expect: harness.Expect{
				Final: map[string]harness.Counters{"sink": {"Events": 50, "Successes": 50, "Pending": 0}},
			},
		}
	})
}
