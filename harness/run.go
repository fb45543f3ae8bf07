package harness

import (
	"context"
	"errors"
	"fmt"
	"github.com/hookbench/hookbench/fakes/endpoint"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookbench/hookbench/harness/load"
)

// RunOptions adjust how a scenario runs.
type RunOptions struct {
	// External registry instead of one the runtime starts.
	External *ExternalRegistry
	// Binary registry (process runtime) instead of ours.
	Binary *BinaryRegistry
	// ConfigTemplate replaces the scenario's generated config template; it
	// may use {{.Addr}}, {{.DebugAddr}}, {{.StorageDir}} and
	// {{.Notifications}} (the scenario's notifications: block).
	ConfigTemplate string
	// Faults injected into our registry (self-test).
	Faults Faults
	// Overrides of every load phase (zero: the scenario's).
	Rate     float64
	Duration time.Duration
	Count    int
	// DrainTimeout overrides the scenario's.
	DrainTimeout time.Duration
	// SampleInterval of /debug/vars (default 50ms).
	SampleInterval time.Duration
	// Progress sees live figures after every sample.
	Progress func(Progress)
	// Logf receives chaos and phase messages (optional).
	Logf func(format string, args ...any)
}

// Progress is the live state of a run.
type Progress struct {
	Elapsed   time.Duration
	Phase     string // load, drain
	Pushed    int    // ledger entries so far
	PushRate  float64
	Delivered map[string]int // registry Successes per endpoint
	Pending   map[string]int
	Endpoints []string
}

// ChaosRecord is one executed chaos step.
type ChaosRecord struct {
	At       time.Duration `json:"at"`
	Action   string        `json:"action"`
	Endpoint string        `json:"endpoint,omitempty"`
	Error    string        `json:"error,omitempty"`
}

// Result is everything a run produced.
type Result struct {
	Scenario       string                     `json:"scenario"`
	Description    string                     `json:"description"`
	Runtime        string                     `json:"runtime"`
	Registry       Registry                   `json:"registry"`
	Started        time.Time                  `json:"started"`
	Duration       time.Duration              `json:"duration"`
	LoadDuration   time.Duration              `json:"loadDuration"`
	DrainDuration  time.Duration              `json:"drainDuration"`
	Load           []*load.Result             `json:"load"`
	Ledger         []load.Entry               `json:"ledger"`
	Samples        []Sample                   `json:"samples"`
	Final          map[string]EndpointMetrics `json:"final"`
	Fakes          map[string]FakeStats       `json:"fakes"`
	Deliveries     map[string][]Delivery      `json:"deliveries"`
	Chaos          []ChaosRecord              `json:"chaos"`
	Reconciliation Reconciliation             `json:"reconciliation"`
	Violations     []string                   `json:"violations,omitempty"`
	Notes          []string                   `json:"notes,omitempty"`
	Endpoints      []string                   `json:"endpoints"`
}

// Err is nil when every expectation held and reconciliation agreed;
// otherwise it names every broken counter.
func (r *Result) Err() error {
	var parts []string
	if err := r.Reconciliation.Err(); err != nil {
		parts = append(parts, err.Error())
	}
	if len(r.Violations) > 0 {
		parts = append(parts, "expectations failed:\n  "+strings.Join(r.Violations, "\n  "))
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("scenario %s: %s", r.Scenario, strings.Join(parts, "\n"))
}

// MissingError says which needs of a scenario a runtime cannot meet; it
// wraps errors.ErrUnsupported.
type MissingError struct {
	Scenario string
	Runtime  string
	Missing  []Capability
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("scenario %s needs %v, which runtime %s (or its registry) cannot do", e.Scenario, e.Missing, e.Runtime)
}

// Unwrap makes errors.Is(err, errors.ErrUnsupported) true.
func (e *MissingError) Unwrap() error { return errors.ErrUnsupported }

// Run runs sc on rt: endpoints, registry, load with chaos, drain, then
// reconciliation. The error is for a run that could not happen; a run whose
// expectations failed returns a Result whose Err is non-nil. The caller
// closes rt.
func Run(ctx context.Context, rt Runtime, sc Scenario, o RunOptions) (*Result, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	res := &Result{Scenario: sc.Name, Description: sc.Description, Runtime: rt.Name(), Started: time.Now(),
		Final: map[string]EndpointMetrics{}, Fakes: map[string]FakeStats{}, Deliveries: map[string][]Delivery{}}

	// Endpoints first: their registry-side URLs go into the config.
	urls := map[string]string{}
	fakes := map[string]*FakeClient{}
	for _, e := range sc.Endpoints {
		ep, err := rt.NewEndpoint(ctx, EndpointSpec{Name: e.Name, Profile: e.Profile})
		if err != nil {
			return nil, fmt.Errorf("scenario %s: endpoint %s: %w", sc.Name, e.Name, err)
		}
		urls[e.Name] = ep.RegistryURL
		fakes[e.Name] = NewFakeClient(ep.AdminURL)
		res.Endpoints = append(res.Endpoints, e.Name)
	}
	tmpl, err := sc.ConfigTemplate(urls)
	if err != nil {
		return nil, err
	}
	if o.ConfigTemplate != "" {
		_, notif, _ := strings.Cut(tmpl, "notifications:\n")
		tmpl = strings.ReplaceAll(o.ConfigTemplate, "{{.Notifications}}", "notifications:\n"+notif)
	}
	spec := RegistrySpec{ConfigTemplate: tmpl, Binary: o.Binary, External: o.External, Faults: o.Faults}
	reg, err := rt.StartRegistry(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: registry: %w", sc.Name, err)
	}
	res.Registry = reg
	if missing := sc.Missing(rt.Capabilities(), reg); len(missing) > 0 {
		return nil, &MissingError{Scenario: sc.Name, Runtime: rt.Name(), Missing: missing}
	}

	// Baseline: an external registry's counters need not start at 0.
	base, err := waitEndpoints(ctx, reg.DebugURL, res.Endpoints, 15*time.Second)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}

	sampler := NewSampler(reg.DebugURL, reg.MetricsPath, o.SampleInterval)
	sampler.Baseline = base
	ledger := &load.Ledger{}
	start := time.Now()
	var phase sync.Map
	phase.Store("p", "load")
	// Push rate over the last second of samples, for the live display.
	type point struct {
		at     time.Time
		pushed int
	}
	var window []point
	sampler.OnSample(func(s Sample) {
		if o.Progress == nil {
			return
		}
		p := Progress{Elapsed: time.Since(start), Pushed: ledger.Len(), Delivered: map[string]int{}, Pending: map[string]int{}, Endpoints: res.Endpoints}
		if v, ok := phase.Load("p"); ok {
			p.Phase = v.(string)
		}
		window = append(window, point{s.At, p.Pushed})
		for len(window) > 2 && s.At.Sub(window[1].at) >= time.Second {
			window = window[1:]
		}
		if dt := s.At.Sub(window[0].at).Seconds(); dt > 0.05 {
			p.PushRate = float64(p.Pushed-window[0].pushed) / dt
		}
		for name, m := range s.Endpoints {
			p.Delivered[name] = m.Successes
			p.Pending[name] = m.Pending
		}
		o.Progress(p)
	})
	sctx, stopSampling := context.WithCancel(ctx)
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() { defer sampling.Done(); sampler.Run(sctx) }()
	defer func() { stopSampling(); sampling.Wait() }()

	// Chaos timeline beside the load.
	var apiURL atomic.Value // the registry's API URL, updated on restart
	apiURL.Store(reg.URL)
	onRestart := func(r Registry) {
		sampler.SetDebugURL(r.DebugURL)
		apiURL.Store(r.URL)
	}
	chaosDone := make(chan []ChaosRecord, 1)
	go func() { chaosDone <- runChaos(ctx, rt, sc.Chaos, fakes, onRestart, start, logf) }()

	target := load.Target{URL: reg.URL, SingleRequestUpload: reg.SingleRequestUpload, IncludeReferences: sc.Registry.IncludeReferences,
		Resolve: func() string { return apiURL.Load().(string) }}
	for _, p := range sc.Load {
		if o.Rate > 0 {
			p.Pacing.Rate = o.Rate
		}
		if o.Count > 0 || o.Duration > 0 {
			p.Count, p.Duration = o.Count, o.Duration
		}
		logf("load %s: count=%d duration=%s rate=%v", p.Op, p.Count, p.Duration, p.Pacing.Rate)
		lr, err := load.Run(ctx, target, p, ledger, nil)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		res.Load = append(res.Load, lr)
	}
	res.LoadDuration = time.Since(start)
	res.Chaos = <-chaosDone
	res.Chaos = append(res.Chaos, runChaos(ctx, rt, sc.AfterLoad, fakes, onRestart, time.Now(), logf)...)
	if r, err := rt.Registry(); err == nil {
		res.Registry = r
	}

	// Drain: wait for every endpoint's Pending to reach its expected value
	// and for registry and receivers to stop changing.
	phase.Store("p", "drain")
	drainStart := time.Now()
	drain := sc.Expect.DrainTimeout
	if o.DrainTimeout > 0 {
		drain = o.DrainTimeout
	}
	if drain == 0 {
		drain = 15 * time.Second
	}
	final, err := settle(ctx, sampler, sc, fakes, drain)
	if err != nil {
		logf("drain: %v", err)
	}
	res.DrainDuration = time.Since(drainStart)
	stopSampling()
	sampling.Wait()

	// Final observation.
	restarted := false
	for _, c := range sc.timeline() {
		restarted = restarted || c.Action == ChaosKillRegistry || c.Action == ChaosRestartRegistry
	}
	var obs []Observation
	for _, e := range sc.Endpoints {
		e.Tolerance.Restarted = e.Tolerance.Restarted || restarted
		fc := fakes[e.Name]
		st, err := fc.Stats(ctx)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: endpoint %s stats: %w", sc.Name, e.Name, err)
		}
		ds, err := fc.Ledger(ctx, endpoint.Filter{})
		if err != nil {
			return nil, fmt.Errorf("scenario %s: endpoint %s ledger: %w", sc.Name, e.Name, err)
		}
		m := final.Endpoints[e.Name]
		res.Final[e.Name], res.Fakes[e.Name], res.Deliveries[e.Name] = m, st, ds
		obs = append(obs, Observation{Name: e.Name, Ignore: e.ignoreOf(), Tolerance: e.Tolerance, Registry: m, Fake: st, Deliveries: ds})
	}
	res.Ledger = ledger.Entries()
	res.Samples = sampler.Samples()
	res.Reconciliation = Reconcile(res.Ledger, obs)
	if final.Error == "" && zeroBaseline(base) {
		for i := range res.Reconciliation.Endpoints {
			e := &res.Reconciliation.Endpoints[i]
			e.Checks = append(e.Checks, PrometheusChecks(e.Name, final.Endpoints[e.Name], final.Prom)...)
		}
	}
	overridden := o.Rate > 0 || o.Count > 0 || o.Duration > 0
	if overridden && len(sc.Expect.Final) > 0 {
		res.Notes = append(res.Notes, "load overridden: the scenario's final counters (declared for its own load) were not checked; reconciliation against the ledger still was")
		sc.Expect.Final = nil
	}
	res.Violations = checkExpectations(sc, res)
	res.Violations = append(res.Violations, checkDeadLetterFiles(sc, rt, res)...)
	res.Duration = time.Since(res.Started)
	return res, nil
}

// normalize subtracts the baseline counters (gauges stay absolute).
func normalize(s *Sample, base map[string]EndpointMetrics) {
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

func waitEndpoints(ctx context.Context, debugURL string, names []string, d time.Duration) (map[string]EndpointMetrics, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(d)
	var last error
	for {
		v, err := FetchVars(ctx, c, debugURL)
		if err == nil {
			base := map[string]EndpointMetrics{}
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

// settle polls until every endpoint's Pending reached its expected value and
// neither the registry's counters nor the receivers' changed for a while.
func settle(ctx context.Context, s *Sampler, sc Scenario, fakes map[string]*FakeClient, d time.Duration) (Sample, error) {
	deadline := time.Now().Add(d)
	var prev string
	stable := 0
	for {
		sm := s.Poll(ctx)
		ready := sm.Error == ""
		var sig strings.Builder
		for _, e := range sc.Endpoints {
			m := sm.Endpoints[e.Name]
			if m.Pending != e.Tolerance.Pending {
				ready = false
			}
			if e.Tolerance.Pending > 0 {
				// A dead endpoint keeps counting attempts: only its Pending matters.
				fmt.Fprintf(&sig, "%s:%d;", e.Name, m.Pending)
				continue
			}
			st, err := fakes[e.Name].Stats(ctx)
			if err != nil {
				ready = false
			}
			fmt.Fprintf(&sig, "%s:%v|%v;", e.Name, m, st)
		}
		if ready && sig.String() == prev {
			stable++
		} else {
			stable = 0
		}
		prev = sig.String()
		if stable >= 3 {
			return sm, nil
		}
		if time.Now().After(deadline) {
			return sm, fmt.Errorf("not settled after %s", d)
		}
		select {
		case <-ctx.Done():
			return sm, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func runChaos(ctx context.Context, rt Runtime, steps []ChaosStep, fakes map[string]*FakeClient, onRestart func(Registry), start time.Time, logf func(string, ...any)) []ChaosRecord {
	var out []ChaosRecord
	for _, st := range steps {
		if wait := time.Until(start.Add(st.At)); wait > 0 {
			select {
			case <-ctx.Done():
				return out
			case <-time.After(wait):
			}
		}
		var err error
		switch st.Action {
		case ChaosStopEndpoint:
			err = rt.StopEndpoint(ctx, st.Endpoint)
		case ChaosStartEndpoint:
			err = rt.StartEndpoint(ctx, st.Endpoint)
		case ChaosPauseEndpoint:
			err = rt.PauseEndpoint(ctx, st.Endpoint)
		case ChaosUnpauseEndpoint:
			err = rt.UnpauseEndpoint(ctx, st.Endpoint)
		case ChaosPartition:
			err = rt.Partition(ctx, st.Endpoint)
		case ChaosHeal:
			err = rt.Heal(ctx, st.Endpoint)
		case ChaosKillRegistry:
			err = rt.KillRegistry(ctx)
		case ChaosRestartRegistry:
			if err = rt.RestartRegistry(ctx); err == nil {
				if r, rerr := rt.Registry(); rerr == nil {
					onRestart(r)
				}
			}
		case ChaosSetProfile:
			err = fakes[st.Endpoint].SetProfileJSON(ctx, st.Profile)
		}
		rec := ChaosRecord{At: time.Since(start), Action: st.Action, Endpoint: st.Endpoint}
		if err != nil {
			rec.Error = err.Error()
		}
		logf("chaos at %s: %s %s %s", rec.At.Round(time.Millisecond), st.Action, st.Endpoint, rec.Error)
		out = append(out, rec)
	}
	return out
}

func checkExpectations(sc Scenario, r *Result) []string {
	var v []string
	for _, c := range r.Chaos {
		if c.Error != "" {
			v = append(v, fmt.Sprintf("chaos %s %s failed: %s", c.Action, c.Endpoint, c.Error))
		}
	}
	for _, name := range sortedEndpointNames(sc.Expect.Final) {
		want := sc.Expect.Final[name]
		m := r.Final[name]
		for _, counter := range sortedCounterNames(want) {
			got, err := m.Counter(counter)
			if err != nil {
				v = append(v, err.Error())
				continue
			}
			if got != want[counter] {
				v = append(v, fmt.Sprintf("final %s %s: registry reports %d, expected %d (all: %s)", name, counter, got, want[counter], m))
			}
		}
	}
	for _, c := range sc.Expect.Throughout {
		for _, s := range r.Samples {
			if s.Error != "" {
				continue
			}
			ok, got, err := c.Holds(s)
			if err != nil || !ok {
				v = append(v, fmt.Sprintf("throughout %s: broken at %s with %d %v", c, s.At.Sub(r.Started).Round(time.Millisecond), got, errOrEmpty(err)))
				break
			}
		}
	}
	for _, c := range sc.Expect.Eventually {
		held := false
		for _, s := range r.Samples {
			if ok, _, _ := c.Holds(s); ok && s.Error == "" {
				held = true
				break
			}
		}
		if !held {
			v = append(v, fmt.Sprintf("at some point %s: never held in %d samples", c, len(r.Samples)))
		}
	}
	v = append(v, checkHeap(sc, r)...)
	// Counters never go down while the registry runs.
	restarted := false
	for _, c := range sc.timeline() {
		if c.Action == ChaosKillRegistry || c.Action == ChaosRestartRegistry {
			restarted = true
		}
	}
	if !restarted {
		prev := map[string]EndpointMetrics{}
		for _, s := range r.Samples {
			if s.Error != "" {
				continue
			}
			for name, m := range s.Endpoints {
				p, ok := prev[name]
				if ok && (m.Events < p.Events || m.Successes < p.Successes || m.Failures < p.Failures || m.Errors < p.Errors) {
					v = append(v, fmt.Sprintf("monotonic %s: counters went down from %s to %s", name, p, m))
				}
				prev[name] = m
			}
		}
	}
	return v
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return "(" + err.Error() + ")"
}

func sortedEndpointNames(m map[string]Counters) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

// zeroBaseline: Prometheus series are not rebased, so they are compared only
// when the registry's counters started at zero.
func zeroBaseline(base map[string]EndpointMetrics) bool {
	for _, m := range base {
		if m.Events != 0 || m.Successes != 0 || m.Failures != 0 || m.Errors != 0 {
			return false
		}
	}
	return true
}
