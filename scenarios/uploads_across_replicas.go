package scenarios

import (
	"time"

	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name:   "uploads-across-replicas",
			Labels: []string{LabelCluster},
			Description: "3 replicas on S3 behind the round-robin balancer (per request): 30 chunked uploads " +
				"(POST, 4 PATCHes, PUT, so every upload's requests reach different replicas) and 20 manifest pushes " +
				"complete, and each emits exactly one event, delivered once, whichever replica finished it.",
			Runtimes:  onCluster(),
			Topology:  replicasOnS3(3, runtime.QueueMemory),
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: ok()}},
			Load: []load.Profile{
				{Op: load.OpUploadChunked, Count: 30, Chunks: 4, BlobSize: 4096, Pacing: load.Pacing{Rate: 15}, Workers: 2},
				pushes(20, 20),
			},
			Expect: model.Expect{
				Final:        map[string]model.Counters{"sink": {"Pending": 0, "Failures": 0, "Errors": 0}},
				DrainTimeout: 30 * time.Second,
			},
		}
	})
}
