package scenarios

import (
	"time"

	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/load"
)

// LabelNATS: the scenario needs queue.kind nats in the registry under test.
const LabelNATS = "nats"

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name:   "nats-node-partition",
			Labels: []string{LabelCluster, LabelNATS},
			Description: "3 replicas on S3 sharing a NATS JetStream queue (3 nodes, R3) behind the balancer; 20 pushes/s for " +
				"6s; NATS node 0 is cut off the others and the replicas at 1s and healed at 3.5s: pushes go on (publishes " +
				"reach the quorum left), delivery goes on, nothing accepted is lost; a delivery whose acknowledgement the " +
				"partition lost may be sent again (at most 2).",
			Runtimes: onCluster(),
			Topology: replicasOnS3(3, runtime.QueueNATS),
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: ok(),
				Tolerance: model.Tolerance{InFlight: 2}}},
			Load: []load.Profile{{Op: load.OpManifestPush, Duration: 6 * time.Second, Pacing: load.Pacing{Rate: 20}, Timeout: 30 * time.Second}},
			Chaos: []chaos.Step{
				{At: ms(1000), Action: chaos.PartitionNATSNode{Node: 0}},
				{At: ms(3500), Action: chaos.HealNATSNode{Node: 0}},
			},
			Expect: model.Expect{
				Final:        map[string]model.Counters{"sink": {"Pending": 0, "Failures": 0}},
				DrainTimeout: 60 * time.Second,
			},
		}
	})
}
