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
			Name:   "replica-partition",
			Labels: []string{LabelCluster},
			Description: "3 replicas on S3 with disk queues behind the balancer, a receiver taking 150 ms per POST: 60 pushes " +
				"at 30/s leave a backlog; 100 ms after the load replica-1 is cut off the network (receivers, S3, balancer) " +
				"for 2.5 s: its deliveries fail meanwhile and resume after the heal; nothing is lost.",
			Runtimes: onCluster(),
			Topology: replicasOnS3(3, runtime.QueueDisk),
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: latency(ms(150)),
				Delivery: model.DeliverySettings{Concurrency: 1},
				// A POST cut mid-way is a timeout to the registry while the
				// receiver may have answered it: sent again, counted late.
				Tolerance: model.Tolerance{Refusals: true, Timeouts: true}}},
			Load: []load.Profile{pushes(60, 30)},
			AfterLoad: []chaos.Step{
				{At: ms(100), Action: chaos.PartitionReplica{Replica: 1}},
				{At: ms(2600), Action: chaos.HealReplica{Replica: 1}},
			},
			Expect: model.Expect{
				Final:        map[string]model.Counters{"sink": {"Pending": 0, "Failures": 0}},
				Eventually:   []model.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">", Value: 0}},
				DrainTimeout: 45 * time.Second,
			},
		}
	})
}
