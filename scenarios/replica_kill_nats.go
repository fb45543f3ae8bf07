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
			Name:   "replica-kill-nats",
			Labels: []string{LabelCluster, LabelNATS},
			Description: "3 replicas on S3 sharing a NATS JetStream queue behind the balancer, a receiver taking 100 ms per " +
				"POST, 2 partitions: 60 pushes at 30/s leave a backlog; 100 ms after the load replica-1 is killed (SIGKILL) " +
				"and never comes back: the other replicas deliver everything, its held events after ackwait (3 s); at most " +
				"one event per partition is delivered twice.",
			Runtimes: onCluster(),
			Topology: replicasOnS3(3, runtime.QueueNATS),
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: latency(ms(100)),
				Delivery:  model.DeliverySettings{Concurrency: 2},
				Tolerance: model.Tolerance{InFlight: 2}}},
			Load:      []load.Profile{pushes(60, 30)},
			AfterLoad: []chaos.Step{{At: ms(100), Action: chaos.KillReplica{Replica: 1}}},
			Expect: model.Expect{
				Final:        map[string]model.Counters{"sink": {"Pending": 0, "Failures": 0}},
				Eventually:   []model.Condition{{Endpoint: "sink", Counter: "Pending", Op: ">=", Value: 3}},
				DrainTimeout: 60 * time.Second,
			},
		}
	})
}
