package docker

import (
	"context"
	"fmt"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"github.com/hookbench/hookbench/harness/chaos"
)

// toxic is a toxiproxy toxic on the receiver -> registry stream, by the
// name of the chaos fault it performs.
type toxic struct {
	kind       chaos.FaultKind
	typ        string // toxiproxy's toxic type
	attributes func(chaos.NetworkFault) map[string]any
}

// toxics are added to every proxy, inert (toxicity 0), before any
// connection exists; faults only update them. toxiproxy v2.5.0 panics (index
// out of range in ToxicLink.AddToxic) when toxics are added to live
// connections after others were removed, so the chain never changes length.
var toxics = []toxic{
	{chaos.FaultLatency, "latency", func(f chaos.NetworkFault) map[string]any {
		return map[string]any{"latency": f.Delay.Milliseconds(), "jitter": f.Jitter.Milliseconds()}
	}},
	{chaos.FaultBandwidth, "bandwidth", func(f chaos.NetworkFault) map[string]any {
		if f.KBps == 0 {
			return map[string]any{"rate": 1 << 20} // inert
		}
		return map[string]any{"rate": f.KBps}
	}},
	{chaos.FaultSlowClose, "slow_close", func(f chaos.NetworkFault) map[string]any {
		return map[string]any{"delay": f.Delay.Milliseconds()}
	}},
	{chaos.FaultResetPeer, "reset_peer", func(f chaos.NetworkFault) map[string]any {
		return map[string]any{"timeout": f.Delay.Milliseconds()}
	}},
	{chaos.FaultTimeout, "timeout", func(f chaos.NetworkFault) map[string]any {
		return map[string]any{"timeout": f.Delay.Milliseconds()}
	}},
}

func installToxics(p *toxiclient.Proxy) error {
	for _, t := range toxics {
		if _, err := p.AddToxic(t.typ, t.typ, "downstream", 0, toxiclient.Attributes(t.attributes(chaos.NetworkFault{}))); err != nil {
			return fmt.Errorf("toxic %s on proxy %s: %w", t.typ, p.Name, err)
		}
	}
	return nil
}

// NetworkFaults implements chaos.NetworkFaulter: every kind, through the
// scenario's toxiproxy.
func (r *Runtime) NetworkFaults() []chaos.FaultKind {
	out := make([]chaos.FaultKind, len(toxics))
	for i, t := range toxics {
		out[i] = t.kind
	}
	return out
}

// AddNetworkFault implements chaos.NetworkFaulter: the fault applies to
// every connection on the registry's path to endpoint name.
func (r *Runtime) AddNetworkFault(_ context.Context, name string, f chaos.NetworkFault) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	if e.proxy == nil {
		return fmt.Errorf("docker runtime: %s on %s: registry not started", f.Kind, name)
	}
	for _, t := range toxics {
		if t.kind != f.Kind {
			continue
		}
		if _, err := e.proxy.UpdateToxic(t.typ, 1, toxiclient.Attributes(t.attributes(f))); err != nil {
			return fmt.Errorf("docker runtime: %s on %s: %w", f.Kind, name, err)
		}
		return nil
	}
	return fmt.Errorf("docker runtime: network fault %q on %s: not one of %v", f.Kind, name, r.NetworkFaults())
}

// ClearNetworkFaults implements chaos.NetworkFaulter: every toxic on the
// path to endpoint name is inert again.
func (r *Runtime) ClearNetworkFaults(_ context.Context, name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	if e.proxy == nil {
		return nil
	}
	for _, t := range toxics {
		if _, err := e.proxy.UpdateToxic(t.typ, 0, toxiclient.Attributes(t.attributes(chaos.NetworkFault{}))); err != nil {
			return fmt.Errorf("docker runtime: clear %s on %s: %w", t.kind, name, err)
		}
	}
	return nil
}
