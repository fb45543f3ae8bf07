package scenarios

import (
	"time"

	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name:   "s3-outage",
			Labels: []string{LabelCluster},
			Description: "2 replicas on S3 behind the balancer; S3 stops at 1s and comes back at 2.5s while 20 pushes/s go on " +
				"for 4s: pushes during the outage fail with a 5xx, no event is sent for anything not stored, and every " +
				"push stored before or after is delivered once.",
			Runtimes:  onCluster(),
			Topology:  replicasOnS3(2, runtime.QueueMemory),
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: ok()}},
			Load:      []load.Profile{{Op: load.OpManifestPush, Duration: 4 * time.Second, Pacing: load.Pacing{Rate: 20}, Timeout: 20 * time.Second}},
			Chaos: []chaos.Step{
				{At: ms(1000), Action: chaos.StopS3{}},
				{At: ms(2500), Action: chaos.StartS3{}},
			},
			Expect: model.Expect{
				Final:        map[string]model.Counters{"sink": {"Pending": 0, "Failures": 0, "Errors": 0}},
				DrainTimeout: 30 * time.Second,
			},
		}
	})
}
