package scenarios

// Cluster scenarios (docs/cluster.md) are files like the others, with a
// topology; these are the words suites select them by.
const (
	// LabelCluster: a production-shaped topology (replicas on S3 behind the
	// balancer, a shared queue); run by `make cluster` (tests/cluster) on
	// the docker cluster runtime only.
	LabelCluster = "cluster"
	// LabelNATS: the scenario needs queue.kind nats in the registry under test.
	LabelNATS = "nats"
	// RuntimeCluster is the docker cluster runtime's name (docker.Cluster).
	RuntimeCluster = "docker-cluster"
)
