package scenarios

import (
	"github.com/hookbench/hookbench/harness/runtime"
)

// LabelCluster: a production-shaped topology (replicas on S3 behind the
// balancer, a shared queue); run by `make cluster` (tests/cluster) on the
// docker cluster runtime only.
const LabelCluster = "cluster"

// RuntimeCluster is the docker cluster runtime's name (docker.Cluster).
const RuntimeCluster = "docker-cluster"

func onCluster() []string { return []string{RuntimeCluster} }

// replicasOnS3 is n replicas on S3 behind the balancer with queue q.
func replicasOnS3(n int, q string) runtime.Topology {
	return runtime.Topology{Replicas: n, Storage: runtime.StorageS3, Queue: q, Balancer: true}
}
