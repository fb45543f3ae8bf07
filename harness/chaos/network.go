package chaos

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/runtime"
)

// FaultKind names a TCP fault on the path from the registry to a receiver.
type FaultKind string

// Network faults, named for what they do.
const (
	FaultLatency   FaultKind = "latency"    // every answer delayed
	FaultBandwidth FaultKind = "bandwidth"  // answers throttled
	FaultSlowClose FaultKind = "slow-close" // closing the connection delayed
	FaultResetPeer FaultKind = "reset-peer" // connections reset (TCP RST)
	FaultTimeout   FaultKind = "timeout"    // no data passes; closed after a while (or never)
)

// NetworkFault is one TCP fault with its parameters.
type NetworkFault struct {
	Kind   FaultKind
	Delay  time.Duration // latency, slow-close; reset-peer and timeout: after this long (0: at once / never closed)
	Jitter time.Duration // latency
	KBps   int           // bandwidth, KB/s
}

// NetworkFaulter can apply TCP faults between the registry and a receiver.
type NetworkFaulter interface {
	// NetworkFaults lists the kinds the runtime can apply honestly.
	NetworkFaults() []FaultKind
	AddNetworkFault(ctx context.Context, endpoint string, f NetworkFault) error
	// ClearNetworkFaults removes every fault added on the path to endpoint.
	ClearNetworkFaults(ctx context.Context, endpoint string) error
}

// faulter is rt's NetworkFaulter if it performs faults of kind k.
func faulter(a Action, rt runtime.Runtime, k FaultKind) (NetworkFaulter, error) {
	nf, err := capability[NetworkFaulter](a, rt)
	if err == nil && !slices.Contains(nf.NetworkFaults(), k) {
		err = &UnsupportedError{Action: a.Name(), Target: a.Target(), Runtime: rt.Name(), Lacks: fmt.Sprintf("%s network fault", k)}
	}
	return nf, err
}

func checkFault(a Action, rt runtime.Runtime, k FaultKind) error {
	_, err := faulter(a, rt, k)
	return err
}

func addFault(ctx context.Context, a Action, env Env, f NetworkFault) error {
	nf, err := faulter(a, env.Runtime, f.Kind)
	if err != nil {
		return err
	}
	return nf.AddNetworkFault(ctx, a.Target(), f)
}

// Latency delays every answer of a receiver by Delay ± Jitter.
type Latency struct {
	Endpoint      string
	Delay, Jitter time.Duration
}

func (a Latency) Name() string                   { return string(FaultLatency) }
func (a Latency) Target() string                 { return a.Endpoint }
func (a Latency) Check(rt runtime.Runtime) error { return checkFault(a, rt, FaultLatency) }
func (a Latency) Do(ctx context.Context, env Env) error {
	return addFault(ctx, a, env, NetworkFault{Kind: FaultLatency, Delay: a.Delay, Jitter: a.Jitter})
}

// Bandwidth throttles a receiver's answers to KBps KB/s.
type Bandwidth struct {
	Endpoint string
	KBps     int
}

func (a Bandwidth) Name() string                   { return string(FaultBandwidth) }
func (a Bandwidth) Target() string                 { return a.Endpoint }
func (a Bandwidth) Check(rt runtime.Runtime) error { return checkFault(a, rt, FaultBandwidth) }
func (a Bandwidth) Do(ctx context.Context, env Env) error {
	return addFault(ctx, a, env, NetworkFault{Kind: FaultBandwidth, KBps: a.KBps})
}

// SlowClose delays closing each connection by Delay.
type SlowClose struct {
	Endpoint string
	Delay    time.Duration
}

func (a SlowClose) Name() string                   { return string(FaultSlowClose) }
func (a SlowClose) Target() string                 { return a.Endpoint }
func (a SlowClose) Check(rt runtime.Runtime) error { return checkFault(a, rt, FaultSlowClose) }
func (a SlowClose) Do(ctx context.Context, env Env) error {
	return addFault(ctx, a, env, NetworkFault{Kind: FaultSlowClose, Delay: a.Delay})
}

// ResetPeer resets connections (TCP RST) After their start (0: at once).
type ResetPeer struct {
	Endpoint string
	After    time.Duration
}

func (a ResetPeer) Name() string                   { return string(FaultResetPeer) }
func (a ResetPeer) Target() string                 { return a.Endpoint }
func (a ResetPeer) Check(rt runtime.Runtime) error { return checkFault(a, rt, FaultResetPeer) }
func (a ResetPeer) Do(ctx context.Context, env Env) error {
	return addFault(ctx, a, env, NetworkFault{Kind: FaultResetPeer, Delay: a.After})
}

// Timeout lets no answer through; connections are closed After (0: never).
type Timeout struct {
	Endpoint string
	After    time.Duration
}

func (a Timeout) Name() string                   { return string(FaultTimeout) }
func (a Timeout) Target() string                 { return a.Endpoint }
func (a Timeout) Check(rt runtime.Runtime) error { return checkFault(a, rt, FaultTimeout) }
func (a Timeout) Do(ctx context.Context, env Env) error {
	return addFault(ctx, a, env, NetworkFault{Kind: FaultTimeout, Delay: a.After})
}

// ClearNetworkFaults removes every network fault on the path to a receiver.
type ClearNetworkFaults struct{ Endpoint string }

func (a ClearNetworkFaults) Name() string                   { return "clear-network-faults" }
func (a ClearNetworkFaults) Target() string                 { return a.Endpoint }
func (a ClearNetworkFaults) Check(rt runtime.Runtime) error { return need[NetworkFaulter](a, rt) }
func (a ClearNetworkFaults) Do(ctx context.Context, env Env) error {
	return onEndpoint(ctx, a, env, NetworkFaulter.ClearNetworkFaults)
}

// FakeNetworkFaults are the network faults a fake receiver can perform on
// its own connections (runtimes without a proxy use them).
func FakeNetworkFaults() []FaultKind { return []FaultKind{FaultLatency, FaultResetPeer, FaultTimeout} }

// WithFakeFault returns p changed so that the fake itself performs f on
// every delivery, rules included: latency delays its answer, reset-peer
// resets the connection (after the delay), timeout holds the connection
// without answering until the registry gives up. It cannot close a held
// connection after a while, throttle or slow a close: those are errors.
func WithFakeFault(p endpoint.Profile, f NetworkFault) (endpoint.Profile, error) {
	apply := func(ft *endpoint.Fault) error {
		switch f.Kind {
		case FaultLatency:
			l := &endpoint.Latency{Fixed: endpoint.Duration(f.Delay - f.Jitter)}
			if f.Jitter > 0 {
				l.Max = endpoint.Duration(2 * f.Jitter)
			}
			ft.Latency = l
		case FaultResetPeer:
			ft.Reset, ft.Hang = true, false
			if f.Delay > 0 {
				ft.Latency = &endpoint.Latency{Fixed: endpoint.Duration(f.Delay)}
			}
		case FaultTimeout:
			if f.Delay > 0 {
				return fmt.Errorf("%s after %s: a fake receiver holds a connection until the registry gives up, it cannot close it after a while", f.Kind, f.Delay)
			}
			ft.Hang, ft.Reset = true, false
		default:
			return fmt.Errorf("%s: a fake receiver cannot perform it (one of %v)", f.Kind, FakeNetworkFaults())
		}
		return nil
	}
	p.Rules = slices.Clone(p.Rules)
	if err := apply(&p.Fault); err != nil {
		return p, err
	}
	for i := range p.Rules {
		if err := apply(&p.Rules[i].Fault); err != nil {
			return p, err
		}
	}
	return p, p.Validate()
}
