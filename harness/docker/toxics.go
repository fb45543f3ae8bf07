package docker

import (
	"fmt"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
)

// Toxic is a TCP fault on the path from the registry to one receiver,
// applied by the scenario's toxiproxy (see toxiproxy's README for types and
// attributes).
type Toxic struct {
	Name       string
	Type       string  // latency, bandwidth, slow_close, reset_peer, timeout, ...
	Stream     string  // "downstream" (receiver -> registry, the default) or "upstream"
	Toxicity   float32 // share of connections affected; 0 means 1
	Attributes map[string]any
}

// Latency delays every chunk by ms ± jitter milliseconds.
func Latency(ms, jitter int) Toxic {
	return Toxic{Name: "latency", Type: "latency", Attributes: map[string]any{"latency": ms, "jitter": jitter}}
}

// Bandwidth limits the receiver's answers to kbps KB/s.
func Bandwidth(kbps int) Toxic {
	return Toxic{Name: "bandwidth", Type: "bandwidth", Attributes: map[string]any{"rate": kbps}}
}

// SlowClose delays closing the connection by ms milliseconds.
func SlowClose(ms int) Toxic {
	return Toxic{Name: "slow_close", Type: "slow_close", Attributes: map[string]any{"delay": ms}}
}

// ResetPeer resets connections (TCP RST) after ms milliseconds.
func ResetPeer(ms int) Toxic {
	return Toxic{Name: "reset_peer", Type: "reset_peer", Attributes: map[string]any{"timeout": ms}}
}

// AddToxic applies t to the registry's path to endpoint name.
func (r *Runtime) AddToxic(name string, t Toxic) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	if e.proxy == nil {
		return fmt.Errorf("docker runtime: toxic on %s: registry not started", name)
	}
	stream, tox := t.Stream, t.Toxicity
	if stream == "" {
		stream = "downstream"
	}
	if tox == 0 {
		tox = 1
	}
	return withoutLinks(e.proxy, func() error {
		if _, err := e.proxy.AddToxic(t.Name, t.Type, stream, tox, toxiclient.Attributes(t.Attributes)); err != nil {
			return fmt.Errorf("docker runtime: toxic %s on %s: %w", t.Name, name, err)
		}
		return nil
	})
}

// withoutLinks changes toxics while the proxy has no open connection:
// toxiproxy v2.5.0 panics (index out of range in ToxicLink.AddToxic) when a
// toxic is added to live links after others were removed. The proxy is
// disabled for the change, so open connections are cut and new ones refused
// for a moment: part of the fault being injected.
func withoutLinks(p *toxiclient.Proxy, change func() error) error {
	if err := p.Disable(); err != nil {
		return err
	}
	err := change()
	if eerr := p.Enable(); eerr != nil && err == nil {
		err = eerr
	}
	return err
}

// RemoveToxics removes every toxic from the path to endpoint name.
func (r *Runtime) RemoveToxics(name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	if e.proxy == nil {
		return nil
	}
	ts, err := e.proxy.Toxics()
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		return nil
	}
	return withoutLinks(e.proxy, func() error {
		for _, t := range ts {
			if err := e.proxy.RemoveToxic(t.Name); err != nil {
				return err
			}
		}
		return nil
	})
}
