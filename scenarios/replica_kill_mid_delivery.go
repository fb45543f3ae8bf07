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
			Name:   "replica-kill-mid-delivery",
			Labels: []string{LabelCluster},
			Description: "3 replicas on S3 with disk queues behind the balancer, a receiver taking 150 ms per POST, one POST " +
				"at a time per replica: 60 pushes at 30/s leave a backlog on every replica; 100 ms after the load replica-1 " +
				"is killed (SIGKILL) while delivering and started again 1.5 s later: nothing accepted is lost, and at most " +
				"2 events are delivered twice (the one in flight at the kill and the one before it).",
			Runtimes: onCluster(),
			Topology: replicasOnS3(3, runtime.QueueDisk),
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: latency(ms(150)),
				Delivery:  model.DeliverySettings{Concurrency: 1},
				Tolerance: model.Tolerance{InFlight: 2}}},
			Load: []load.Profile{pushes(60, 30)},
			AfterLoad: []chaos.Step{
				{At: ms(100), Action: chaos.KillReplica{Replica: 1}},
				{At: ms(1600), Action: chaos.StartReplica{Replica: 1}},
			},
			Expect: model.Expect{
				Final:        map[string]model.Counters{"sink": {"Pending": 0, "Failures": 0}},
				Eventually:   []model.Condition{{Endpoint: "sink", Counter: "Pending", Op: ">=", Value: 3}},
				DrainTimeout: 45 * time.Second,
			},
		}
	})
}
