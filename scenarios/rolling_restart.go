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
			Name:   "rolling-restart",
			Labels: []string{LabelCluster},
			Description: "3 replicas on S3 with disk queues behind the balancer; from 1s every replica in turn is stopped " +
				"gracefully (SIGTERM) and started again while 20 pushes/s go on: no push fails (the balancer sends a " +
				"refused request to the next replica) and no accepted event is lost.",
			Runtimes: onCluster(),
			Topology: replicasOnS3(3, runtime.QueueDisk),
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: ok(),
				// A replica stopping hands its queue file to its next life: an
				// event in flight at the stop may be sent again, one per replica.
				Tolerance: model.Tolerance{InFlight: 3}}},
			Load:  []load.Profile{{Op: load.OpManifestPush, Duration: 6 * time.Second, Pacing: load.Pacing{Rate: 20}, Timeout: 20 * time.Second}},
			Chaos: []chaos.Step{{At: ms(1000), Action: chaos.RollingRestart{}}},
			Expect: model.Expect{
				Final:        map[string]model.Counters{"sink": {"Pending": 0, "Failures": 0}},
				DrainTimeout: 45 * time.Second,
			},
		}
	})
}
