package runtime

import (
	"fmt"
	"slices"
)

// Storage and queue kinds a Topology can ask for.
const (
	StorageFilesystem = "filesystem"
	StorageS3         = "s3"
	QueueMemory       = "memory"
	QueueDisk         = "disk"
	QueueNATS         = "nats"
)

// Topology is the shape of the registry under test: how many replicas,
// on which storage, with which notification queue, behind a balancer or
// not. The zero Topology is the single-node default (one replica,
// filesystem storage, each endpoint's own queue settings).
type Topology struct {
	Replicas int    `yaml:"replicas,omitempty" json:"replicas,omitempty"` // 0 or 1: one registry
	Storage  string `yaml:"storage,omitempty" json:"storage,omitempty"`   // filesystem (default) or s3
	Queue    string `yaml:"queue,omitempty" json:"queue,omitempty"`       // memory (default), disk or nats, for every endpoint
	// Balancer puts a round-robin reverse proxy (per request, so one
	// upload's requests reach different replicas) in front of the replicas.
	Balancer bool `yaml:"balancer,omitempty" json:"balancer,omitempty"`
}

// IsZero reports the single-node default.
func (t Topology) IsZero() bool { return t == Topology{} }

// Clustered reports whether t needs a cluster runtime (several replicas,
// shared storage, a shared queue or a balancer).
func (t Topology) Clustered() bool {
	return t.Replicas > 1 || t.Storage == StorageS3 || t.Queue == QueueNATS || t.Balancer
}

// N is the number of replicas (at least 1).
func (t Topology) N() int { return max(t.Replicas, 1) }

// SharedPending reports whether every replica reports one cluster-wide
// Pending (a shared queue) instead of its own.
func (t Topology) SharedPending() bool { return t.Queue == QueueNATS }

// Validate names what is wrong with t.
func (t Topology) Validate() error {
	if t.Replicas < 0 || t.Replicas > 9 {
		return fmt.Errorf("topology: replicas must be between 1 and 9, got %d", t.Replicas)
	}
	if t.Storage != "" && !slices.Contains([]string{StorageFilesystem, StorageS3}, t.Storage) {
		return fmt.Errorf("topology: storage %q (want filesystem or s3)", t.Storage)
	}
	if t.Queue != "" && !slices.Contains([]string{QueueMemory, QueueDisk, QueueNATS}, t.Queue) {
		return fmt.Errorf("topology: queue %q (want memory, disk or nats)", t.Queue)
	}
	if t.N() > 1 && t.Storage != StorageS3 {
		return fmt.Errorf("topology: %d replicas need shared storage (storage: s3)", t.N())
	}
	return nil
}

func (t Topology) String() string {
	s, q := t.Storage, t.Queue
	if s == "" {
		s = StorageFilesystem
	}
	if q == "" {
		q = QueueMemory
	}
	b := ""
	if t.Balancer {
		b = " behind a round-robin balancer"
	}
	return fmt.Sprintf("%d replica(s) on %s storage, %s queue%s", t.N(), s, q, b)
}

// Replica is one registry replica as the harness reaches it.
type Replica struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	DebugURL string `json:"debugURL"`
}

// Cluster is implemented by runtimes that run a Topology: Registry().URL
// is then the balancer's (or the first replica's) and each replica has
// its own debug URL, which the sampler reads one by one.
type Cluster interface {
	Topology() Topology
	Replicas() []Replica
}
