package observe

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
)

// Sampler polls a registry's /debug/vars (and its Prometheus path when set)
// at a fixed interval into a time series.
type Sampler struct {
	DebugURL    string
	MetricsPath string // empty: no /metrics
	Interval    time.Duration
	Client      *http.Client

	// Baseline is subtracted from every sample's counters (an external
	// registry's counters need not start at 0); set before Run.
	Baseline map[string]endpoint.EndpointMetrics

	pollMu  sync.Mutex // one poll at a time: callbacks see samples in order
	mu      sync.Mutex
	samples []Sample
	onEach  []func(Sample)

	// A cluster's replicas (SetReplicas), read instead of DebugURL.
	replicas      []Replica
	sharedPending bool
	lastSeen      map[string]map[string]endpoint.EndpointMetrics
}

// NewSampler returns a sampler of debugURL every interval (default 100ms).
func NewSampler(debugURL, metricsPath string, interval time.Duration) *Sampler {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	return &Sampler{DebugURL: debugURL, MetricsPath: metricsPath, Interval: interval,
		Client: &http.Client{Timeout: 2 * time.Second}}
}

// OnSample registers f to see every sample (call before Run).
func (s *Sampler) OnSample(f func(Sample)) { s.onEach = append(s.onEach, f) }

// SetDebugURL points the sampler at a restarted registry.
func (s *Sampler) SetDebugURL(u string) {
	s.mu.Lock()
	s.DebugURL = u
	s.mu.Unlock()
}

// Run polls until ctx ends.
func (s *Sampler) Run(ctx context.Context) {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		s.Poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll takes one sample now, records and returns it.
func (s *Sampler) Poll(ctx context.Context) Sample {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	s.mu.Lock()
	u := s.DebugURL
	clustered := len(s.replicas) > 0
	s.mu.Unlock()
	sm := Sample{At: time.Now(), Endpoints: map[string]endpoint.EndpointMetrics{}}
	var v *Vars
	var err error
	if !clustered {
		v, err = FetchVars(ctx, s.Client, u)
	}
	if clustered {
		s.pollReplicas(ctx, &sm)
		if sm.Error == "" {
			Normalize(&sm, s.Baseline)
		}
	} else if err != nil {
		sm.Error = err.Error()
	} else {
		for _, e := range v.Registry.Notifications.Endpoints {
			sm.Endpoints[e.Name] = e.Metrics
		}
		sm.Mem = v.Memstats
		Normalize(&sm, s.Baseline)
	}
	if s.MetricsPath != "" && u != "" && !clustered {
		sm.Prom = s.scrape(ctx, strings.TrimRight(u, "/")+s.MetricsPath)
	}
	if ctx.Err() != nil && sm.Error != "" {
		return sm // the run ended mid-poll: not a sample
	}
	s.mu.Lock()
	s.samples = append(s.samples, sm)
	s.mu.Unlock()
	for _, f := range s.onEach {
		f(sm)
	}
	return sm
}

// Samples returns a copy of the series.
func (s *Sampler) Samples() []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sample(nil), s.samples...)
}

// scrape keeps the registry_notifications_* series of a Prometheus text page.
func (s *Sampler) scrape(ctx context.Context, u string) map[string]float64 {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "registry_notifications_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		f, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = f
	}
	return out
}

// Normalize subtracts the baseline counters (gauges stay absolute).
func Normalize(s *Sample, base map[string]endpoint.EndpointMetrics) {
	for name, m := range s.Endpoints {
		b, ok := base[name]
		if !ok {
			continue
		}
		m.Events -= b.Events
		m.Successes -= b.Successes
		m.Failures -= b.Failures
		m.Errors -= b.Errors
		if len(b.Statuses) > 0 {
			st := map[string]int{}
			for k, v := range m.Statuses {
				if d := v - b.Statuses[k]; d != 0 {
					st[k] = d
				}
			}
			m.Statuses = st
		}
		s.Endpoints[name] = m
	}
}

// WaitEndpoints polls debugURL until every named endpoint is in
// /debug/vars and returns their counters: the baseline of a run (an
// external registry's counters need not start at 0).
func WaitEndpoints(ctx context.Context, debugURL string, names []string, d time.Duration) (map[string]endpoint.EndpointMetrics, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(d)
	var last error
	for {
		v, err := FetchVars(ctx, c, debugURL)
		if err == nil {
			base := map[string]endpoint.EndpointMetrics{}
			missing := ""
			for _, n := range names {
				m, ok := v.Endpoint(n)
				if !ok {
					missing = n
					break
				}
				base[n] = m
			}
			if missing == "" {
				return base, nil
			}
			err = fmt.Errorf("endpoint %s not in /debug/vars registry.notifications.endpoints", missing)
		}
		last = err
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("registry debug vars at %s: %w", debugURL, last)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ZeroBaseline reports whether every counter of base is zero.
func ZeroBaseline(base map[string]endpoint.EndpointMetrics) bool {
	for _, m := range base {
		if m.Events != 0 || m.Successes != 0 || m.Failures != 0 || m.Errors != 0 {
			return false
		}
	}
	return true
}
