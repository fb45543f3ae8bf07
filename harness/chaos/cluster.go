package chaos

import (
	"context"
	"fmt"

	"github.com/hookbench/hookbench/harness/runtime"
)

// Capabilities of cluster runtimes (runtime.Topology), each found by type
// assertion like the others. Replicas and NATS nodes are numbered from 0.

// ReplicaKiller can SIGKILL one replica and start it again (same config,
// volume and addresses).
type ReplicaKiller interface {
	KillReplica(ctx context.Context, i int) error
	StartReplica(ctx context.Context, i int) error
}

// ReplicaRestarter can restart one replica gracefully (SIGTERM first).
type ReplicaRestarter interface {
	RestartReplica(ctx context.Context, i int) error
}

// RollingRestarter can restart every replica gracefully, one at a time,
// the next once the last is healthy again.
type RollingRestarter interface {
	RollingRestart(ctx context.Context) error
}

// ReplicaPartitioner can cut one replica off the cluster's network
// (balancer, storage, queue, receivers) and heal it.
type ReplicaPartitioner interface {
	PartitionReplica(ctx context.Context, i int) error
	HealReplica(ctx context.Context, i int) error
}

// NATSPartitioner can cut one node of the NATS cluster off the others and
// the replicas, and heal it.
type NATSPartitioner interface {
	PartitionNATS(ctx context.Context, i int) error
	HealNATS(ctx context.Context, i int) error
}

// StorageStopper can stop the shared storage server (S3) and start it
// again with its data.
type StorageStopper interface {
	StopStorage(ctx context.Context) error
	StartStorage(ctx context.Context) error
}

// onReplica performs a replica action with capability T's method f.
func onReplica[T any](ctx context.Context, a Action, env Env, i int, f func(T, context.Context, int) error) error {
	t, err := capability[T](a, env.Runtime)
	if err != nil {
		return err
	}
	return f(t, ctx, i)
}

// KillReplica kills one replica (SIGKILL semantics: nothing drained).
type KillReplica struct{ Replica int }

func (a KillReplica) Name() string                   { return "kill-replica" }
func (a KillReplica) Params() string                 { return fmt.Sprintf("replica=%d", a.Replica) }
func (a KillReplica) Target() string                 { return "" }
func (a KillReplica) Check(rt runtime.Runtime) error { return need[ReplicaKiller](a, rt) }
func (a KillReplica) Do(ctx context.Context, env Env) error {
	return onReplica(ctx, a, env, a.Replica, ReplicaKiller.KillReplica)
}

// StartReplica starts a killed replica again.
type StartReplica struct{ Replica int }

func (a StartReplica) Name() string                   { return "start-replica" }
func (a StartReplica) Params() string                 { return fmt.Sprintf("replica=%d", a.Replica) }
func (a StartReplica) Target() string                 { return "" }
func (a StartReplica) Check(rt runtime.Runtime) error { return need[ReplicaKiller](a, rt) }
func (a StartReplica) Do(ctx context.Context, env Env) error {
	return onReplica(ctx, a, env, a.Replica, ReplicaKiller.StartReplica)
}

// RestartReplica restarts one replica gracefully.
type RestartReplica struct{ Replica int }

func (a RestartReplica) Name() string                   { return "restart-replica" }
func (a RestartReplica) Params() string                 { return fmt.Sprintf("replica=%d", a.Replica) }
func (a RestartReplica) Target() string                 { return "" }
func (a RestartReplica) Check(rt runtime.Runtime) error { return need[ReplicaRestarter](a, rt) }
func (a RestartReplica) Do(ctx context.Context, env Env) error {
	return onReplica(ctx, a, env, a.Replica, ReplicaRestarter.RestartReplica)
}

// RollingRestart restarts every replica gracefully, one after another.
type RollingRestart struct{}

func (a RollingRestart) Name() string                   { return "rolling-restart" }
func (a RollingRestart) Target() string                 { return "" }
func (a RollingRestart) Check(rt runtime.Runtime) error { return need[RollingRestarter](a, rt) }
func (a RollingRestart) Do(ctx context.Context, env Env) error {
	return onRegistry(ctx, a, env, RollingRestarter.RollingRestart)
}

// PartitionReplica cuts one replica off the cluster's network.
type PartitionReplica struct{ Replica int }

func (a PartitionReplica) Name() string                   { return "partition-replica" }
func (a PartitionReplica) Params() string                 { return fmt.Sprintf("replica=%d", a.Replica) }
func (a PartitionReplica) Target() string                 { return "" }
func (a PartitionReplica) Check(rt runtime.Runtime) error { return need[ReplicaPartitioner](a, rt) }
func (a PartitionReplica) Do(ctx context.Context, env Env) error {
	return onReplica(ctx, a, env, a.Replica, ReplicaPartitioner.PartitionReplica)
}

// HealReplica ends a replica's partition.
type HealReplica struct{ Replica int }

func (a HealReplica) Name() string                   { return "heal-replica" }
func (a HealReplica) Params() string                 { return fmt.Sprintf("replica=%d", a.Replica) }
func (a HealReplica) Target() string                 { return "" }
func (a HealReplica) Check(rt runtime.Runtime) error { return need[ReplicaPartitioner](a, rt) }
func (a HealReplica) Do(ctx context.Context, env Env) error {
	return onReplica(ctx, a, env, a.Replica, ReplicaPartitioner.HealReplica)
}

// PartitionNATSNode cuts one NATS node off the others and the replicas.
type PartitionNATSNode struct{ Node int }

func (a PartitionNATSNode) Name() string                   { return "partition-nats" }
func (a PartitionNATSNode) Params() string                 { return fmt.Sprintf("node=%d", a.Node) }
func (a PartitionNATSNode) Target() string                 { return "" }
func (a PartitionNATSNode) Check(rt runtime.Runtime) error { return need[NATSPartitioner](a, rt) }
func (a PartitionNATSNode) Do(ctx context.Context, env Env) error {
	return onReplica(ctx, a, env, a.Node, NATSPartitioner.PartitionNATS)
}

// HealNATSNode ends a NATS node's partition.
type HealNATSNode struct{ Node int }

func (a HealNATSNode) Name() string                   { return "heal-nats" }
func (a HealNATSNode) Params() string                 { return fmt.Sprintf("node=%d", a.Node) }
func (a HealNATSNode) Target() string                 { return "" }
func (a HealNATSNode) Check(rt runtime.Runtime) error { return need[NATSPartitioner](a, rt) }
func (a HealNATSNode) Do(ctx context.Context, env Env) error {
	return onReplica(ctx, a, env, a.Node, NATSPartitioner.HealNATS)
}

// StopS3 stops the shared S3 server.
type StopS3 struct{}

func (a StopS3) Name() string                   { return "stop-s3" }
func (a StopS3) Target() string                 { return "" }
func (a StopS3) Check(rt runtime.Runtime) error { return need[StorageStopper](a, rt) }
func (a StopS3) Do(ctx context.Context, env Env) error {
	return onRegistry(ctx, a, env, StorageStopper.StopStorage)
}

// StartS3 starts the shared S3 server again, its data kept.
type StartS3 struct{}

func (a StartS3) Name() string                   { return "start-s3" }
func (a StartS3) Target() string                 { return "" }
func (a StartS3) Check(rt runtime.Runtime) error { return need[StorageStopper](a, rt) }
func (a StartS3) Do(ctx context.Context, env Env) error {
	return onRegistry(ctx, a, env, StorageStopper.StartStorage)
}
