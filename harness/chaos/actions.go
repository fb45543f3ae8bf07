package chaos

import (
	"context"
	"fmt"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/runtime"
)

// Capabilities a runtime may have, each found by type assertion.

// EndpointStopper can take a receiver away (connections refused) and bring
// it back on the same address with its ledger and counters kept.
type EndpointStopper interface {
	StopEndpoint(ctx context.Context, name string) error
	StartEndpoint(ctx context.Context, name string) error
}

// EndpointPauser can freeze a receiver: connections accepted, never answered.
type EndpointPauser interface {
	PauseEndpoint(ctx context.Context, name string) error
	UnpauseEndpoint(ctx context.Context, name string) error
}

// Partitioner can cut the network between the registry and a receiver for
// real (a network disconnect, or all traffic dropped) and heal it.
type Partitioner interface {
	Partition(ctx context.Context, name string) error
	Heal(ctx context.Context, name string) error
}

// RegistryKiller can kill the registry without draining anything (kill -9).
type RegistryKiller interface {
	KillRegistry(ctx context.Context) error
}

// RegistryRestarter can start the registry again with the same config and
// storage (addresses may change: read Runtime.Registry again).
type RegistryRestarter interface {
	RestartRegistry(ctx context.Context) error
}

// StopEndpoint takes a receiver away: the registry's connections are refused.
type StopEndpoint struct{ Endpoint string }

func (a StopEndpoint) Name() string                   { return "stop-endpoint" }
func (a StopEndpoint) Target() string                 { return a.Endpoint }
func (a StopEndpoint) Check(rt runtime.Runtime) error { return need[EndpointStopper](a, rt) }
func (a StopEndpoint) Do(ctx context.Context, env Env) error {
	return onEndpoint(ctx, a, env, EndpointStopper.StopEndpoint)
}

// StartEndpoint brings a stopped receiver back on the same address.
type StartEndpoint struct{ Endpoint string }

func (a StartEndpoint) Name() string                   { return "start-endpoint" }
func (a StartEndpoint) Target() string                 { return a.Endpoint }
func (a StartEndpoint) Check(rt runtime.Runtime) error { return need[EndpointStopper](a, rt) }
func (a StartEndpoint) Do(ctx context.Context, env Env) error {
	return onEndpoint(ctx, a, env, EndpointStopper.StartEndpoint)
}

// PauseEndpoint freezes a receiver: connections accepted, nothing answers.
type PauseEndpoint struct{ Endpoint string }

func (a PauseEndpoint) Name() string                   { return "pause-endpoint" }
func (a PauseEndpoint) Target() string                 { return a.Endpoint }
func (a PauseEndpoint) Check(rt runtime.Runtime) error { return need[EndpointPauser](a, rt) }
func (a PauseEndpoint) Do(ctx context.Context, env Env) error {
	return onEndpoint(ctx, a, env, EndpointPauser.PauseEndpoint)
}

// UnpauseEndpoint thaws a paused receiver.
type UnpauseEndpoint struct{ Endpoint string }

func (a UnpauseEndpoint) Name() string                   { return "unpause-endpoint" }
func (a UnpauseEndpoint) Target() string                 { return a.Endpoint }
func (a UnpauseEndpoint) Check(rt runtime.Runtime) error { return need[EndpointPauser](a, rt) }
func (a UnpauseEndpoint) Do(ctx context.Context, env Env) error {
	return onEndpoint(ctx, a, env, EndpointPauser.UnpauseEndpoint)
}

// Partition cuts the network between the registry and a receiver.
type Partition struct{ Endpoint string }

func (a Partition) Name() string                   { return "partition" }
func (a Partition) Target() string                 { return a.Endpoint }
func (a Partition) Check(rt runtime.Runtime) error { return need[Partitioner](a, rt) }
func (a Partition) Do(ctx context.Context, env Env) error {
	return onEndpoint(ctx, a, env, Partitioner.Partition)
}

// Heal ends a partition.
type Heal struct{ Endpoint string }

func (a Heal) Name() string                   { return "heal" }
func (a Heal) Target() string                 { return a.Endpoint }
func (a Heal) Check(rt runtime.Runtime) error { return need[Partitioner](a, rt) }
func (a Heal) Do(ctx context.Context, env Env) error {
	return onEndpoint(ctx, a, env, Partitioner.Heal)
}

// KillRegistry kills the registry (SIGKILL semantics: nothing drained).
type KillRegistry struct{}

func (a KillRegistry) Name() string                   { return "kill-registry" }
func (a KillRegistry) Target() string                 { return "" }
func (a KillRegistry) Check(rt runtime.Runtime) error { return need[RegistryKiller](a, rt) }
func (a KillRegistry) Do(ctx context.Context, env Env) error {
	return onRegistry(ctx, a, env, RegistryKiller.KillRegistry)
}

// RestartRegistry starts the registry again on the same config and storage.
type RestartRegistry struct{}

func (a RestartRegistry) Name() string                   { return "restart-registry" }
func (a RestartRegistry) Target() string                 { return "" }
func (a RestartRegistry) Check(rt runtime.Runtime) error { return need[RegistryRestarter](a, rt) }
func (a RestartRegistry) Do(ctx context.Context, env Env) error {
	if err := onRegistry(ctx, a, env, RegistryRestarter.RestartRegistry); err != nil {
		return err
	}
	reg, err := env.Runtime.Registry()
	if err != nil {
		return err
	}
	if env.Restarted != nil {
		env.Restarted(reg)
	}
	return nil
}

// SetProfile replaces a fake receiver's fault profile through its admin
// API, which every runtime has.
type SetProfile struct {
	Endpoint string
	Profile  endpoint.Profile
}

func (a SetProfile) Name() string                { return "set-profile" }
func (a SetProfile) Target() string              { return a.Endpoint }
func (a SetProfile) Check(runtime.Runtime) error { return nil }
func (a SetProfile) Do(ctx context.Context, env Env) error {
	if env.Fake == nil {
		return fmt.Errorf("set-profile %s: no admin client", a.Endpoint)
	}
	return env.Fake(a.Endpoint).SetProfile(ctx, a.Profile)
}
