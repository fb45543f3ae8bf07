package docker

import (
	"fmt"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
)

// Toxic is a TCP fault on the path from the registry to one receiver,
// applied by the scenario's toxiproxy on the receiver -> registry stream.
type Toxic struct {
	// Type is one of the installed toxics: latency, bandwidth, slow_close, reset_peer.
	Type       string
	Toxicity   float32 // share of connections affected; 0 means 1
	Attributes map[string]any
}

// Latency delays every chunk by ms ± jitter milliseconds.
func Latency(ms, jitter int) Toxic {
	return Toxic{Type: "latency", Attributes: map[string]any{"latency": ms, "jitter": jitter}}
}

// Bandwidth limits the receiver's answers to kbps KB/s.
func Bandwidth(kbps int) Toxic {
	return Toxic{Type: "bandwidth", Attributes: map[string]any{"rate": kbps}}
}

// SlowClose delays closing the connection by ms milliseconds.
func SlowClose(ms int) Toxic {
	return Toxic{Type: "slow_close", Attributes: map[string]any{"delay": ms}}
}

// ResetPeer resets connections (TCP RST) after ms milliseconds.
func ResetPeer(ms int) Toxic {
	return Toxic{Type: "reset_peer", Attributes: map[string]any{"timeout": ms}}
}

// installedToxics are added to every proxy, inert (toxicity 0), before any
// connection exists; faults only update them. toxiproxy v2.5.0 panics (index
// out of range in ToxicLink.AddToxic) when toxics are added to live
// connections after others were removed, so the chain never changes length.
var installedToxics = []Toxic{Latency(0, 0), Bandwidth(1 << 20), SlowClose(0), ResetPeer(0)}

func installToxics(p *toxiclient.Proxy) error {
	for _, t := range installedToxics {
		if _, err := p.AddToxic(t.Type, t.Type, "downstream", 0, toxiclient.Attributes(t.Attributes)); err != nil {
			return fmt.Errorf("toxic %s on proxy %s: %w", t.Type, p.Name, err)
		}
	}
	return nil
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
	known := false
	for _, it := range installedToxics {
		known = known || it.Type == t.Type
	}
	if !known {
		return fmt.Errorf("docker runtime: toxic %q on %s: not one of latency, bandwidth, slow_close, reset_peer", t.Type, name)
	}
	tox := t.Toxicity
	if tox == 0 {
		tox = 1
	}
	if _, err := e.proxy.UpdateToxic(t.Type, tox, toxiclient.Attributes(t.Attributes)); err != nil {
		return fmt.Errorf("docker runtime: toxic %s on %s: %w", t.Type, name, err)
	}
	return nil
}

// RemoveToxics makes every toxic on the path to endpoint name inert again.
func (r *Runtime) RemoveToxics(name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	if e.proxy == nil {
		return nil
	}
	for _, t := range installedToxics {
		if _, err := e.proxy.UpdateToxic(t.Type, 0, toxiclient.Attributes(t.Attributes)); err != nil {
			return fmt.Errorf("docker runtime: clear toxic %s on %s: %w", t.Type, name, err)
		}
	}
	return nil
}
