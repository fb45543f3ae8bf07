// Package observe reads a registry from outside: /debug/vars (Distribution's
// layout), the Prometheus page, and a sampler that polls both into a time
// series.
package observe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
)

// EndpointVars is one entry of registry.notifications.endpoints.
type EndpointVars struct {
	Name    string                   `json:"name"`
	URL     string                   `json:"url"`
	Metrics endpoint.EndpointMetrics `json:"Metrics"`
}

// MemStats are the registry's memory figures the harness keeps.
type MemStats struct {
	HeapAlloc  uint64 `json:"HeapAlloc"`
	HeapInuse  uint64 `json:"HeapInuse"`
	Sys        uint64 `json:"Sys"`
	NumGC      uint32 `json:"NumGC"`
	TotalAlloc uint64 `json:"TotalAlloc"`
}

// Vars is the part of GET /debug/vars the harness reads.
type Vars struct {
	Registry struct {
		Notifications struct {
			Endpoints []EndpointVars `json:"endpoints"`
		} `json:"notifications"`
	} `json:"registry"`
	Memstats MemStats `json:"memstats"`
}

// Endpoint returns the named endpoint's metrics.
func (v *Vars) Endpoint(name string) (endpoint.EndpointMetrics, bool) {
	for _, e := range v.Registry.Notifications.Endpoints {
		if e.Name == name {
			return e.Metrics, true
		}
	}
	return endpoint.EndpointMetrics{}, false
}

// FetchVars reads debugURL/debug/vars.
func FetchVars(ctx context.Context, c *http.Client, debugURL string) (*Vars, error) {
	if debugURL == "" {
		return nil, fmt.Errorf("no debug URL: the registry runs without a debug server")
	}
	body, err := Fetch(ctx, c, strings.TrimRight(debugURL, "/")+"/debug/vars")
	if err != nil {
		return nil, err
	}
	var v Vars
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("GET /debug/vars: decoding: %w", err)
	}
	return &v, nil
}

// Fetch GETs u whole (at most 64 MiB); anything but 200 is an error.
func Fetch(ctx context.Context, c *http.Client, u string) ([]byte, error) {
	if c == nil {
		c = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", req.URL.Path, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 64<<20))
}

// Sample is one poll of the registry.
type Sample struct {
	At        time.Time                           `json:"at"`
	Endpoints map[string]endpoint.EndpointMetrics `json:"endpoints"`
	Mem       MemStats                            `json:"mem"`
	// Prom holds the notification series from /metrics when it was read:
	// "<metric>{endpoint=..,type=..}" -> value.
	Prom  map[string]float64 `json:"prom,omitempty"`
	Error string             `json:"error,omitempty"`
	// Replicas: each replica's own counters when the registry is a
	// cluster (Endpoints is then their sum, see SetReplicas).
	Replicas []ReplicaSample `json:"replicas,omitempty"`
}
