// Package harness drives push load through a container registry, breaks its
// webhook receivers on purpose, samples /debug/vars and reconciles what the
// registry reports against what really happened. It wires the jobs, each in
// its own package: model (scenarios), runtime (inprocess, process, docker),
// chaos (actions as values), load (vegeta), observe (vars, sampler),
// verdict (one list of named checks) and report.
package harness

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/verdict"
	"github.com/hookbench/hookbench/load"
	"github.com/hookbench/hookbench/notifications"
)

// RunOptions adjust how a scenario runs.
type RunOptions struct {
	// Binary registry (process runtime) instead of ours. An external
	// registry is a runtime of its own: runtime.WithExternal.
	Binary *runtime.BinaryRegistry
	// ConfigTemplate replaces the scenario's generated config template; it
	// may use {{.Addr}}, {{.DebugAddr}}, {{.StorageDir}} and
	// {{.Notifications}} (the scenario's notifications: block).
	ConfigTemplate string
	// Faults injected into our registry (self-test).
	Faults notifications.Faults
	// Image: any registry image instead of ours (docker runtime).
	Image *runtime.RegistryImage
	// Receivers put the user's own webhook receivers (endpoint name ->
	// URL) behind the scenario's fakes in proxy mode: the faults apply in
	// front of them and the ledger records what they answered.
	Receivers map[string]string
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
	// InterruptDrain bounds the drain after ctx ends mid-run (default 5s):
	// the run then stops its load, drains this long at most, observes and
	// returns a partial Result marked Interrupted instead of an error.
	InterruptDrain time.Duration
	// Logf receives chaos and phase messages (optional).
	Logf func(format string, args ...any)
}

// Progress is the live state of a run.
type Progress struct {
	Elapsed  time.Duration
	Phase    string // load, drain
	Pushed   int    // ledger entries (events owed) so far
	PushRate float64
	Hits     int     // operations done so far, every phase
	HitRate  float64 // operations per second over the last second
	// TotalHits is the operations planned when every phase has a count
	// (0: bounded by duration only); PlannedLoad the sum of the phases'
	// durations when every phase has one. Either gives an ETA.
	TotalHits   int
	PlannedLoad time.Duration
	// Drain is the drain's bound, during the drain phase.
	Drain     time.Duration
	Delivered map[string]int // registry Successes per endpoint
	Pending   map[string]int
	Endpoints []string
}

// Result is everything a run produced.
type Result struct {
	Scenario      string                              `json:"scenario"`
	Description   string                              `json:"description"`
	Runtime       string                              `json:"runtime"`
	Registry      runtime.Registry                    `json:"registry"`
	Started       time.Time                           `json:"started"`
	Duration      time.Duration                       `json:"duration"`
	LoadDuration  time.Duration                       `json:"loadDuration"`
	DrainDuration time.Duration                       `json:"drainDuration"`
	Load          []*load.Result                      `json:"load"`
	Ledger        []load.Entry                        `json:"ledger"`
	Samples       []observe.Sample                    `json:"samples"`
	Final         map[string]endpoint.EndpointMetrics `json:"final"`
	Fakes         map[string]endpoint.Stats           `json:"fakes"`
	Deliveries    map[string][]endpoint.Delivery      `json:"deliveries"`
	Chaos         []chaos.Record                      `json:"chaos"`
	// Interrupted: ctx ended mid-run; the load stopped early, the drain
	// was cut short and the checks describe a partial run.
	Interrupted    bool                   `json:"interrupted,omitempty"`
	Reconciliation verdict.Reconciliation `json:"reconciliation"`
	// Verdict is every check, reconciliation and expectations: the only
	// source of pass or fail.
	Verdict   verdict.Verdict `json:"verdict"`
	Notes     []string        `json:"notes,omitempty"`
	Endpoints []string        `json:"endpoints"`
	// Expect is what the scenario asserted besides reconciliation, as
	// checked (no Final when the load was overridden): the report draws it.
	Expect model.Expect `json:"expect"`
	// Topology and Replicas of a clustered registry (runtime.Cluster).
	Topology runtime.Topology  `json:"topology,omitzero"`
	Replicas []runtime.Replica `json:"replicas,omitempty"`
}

// Err is nil when every check of the verdict held; otherwise it names
// every failed check.
func (r *Result) Err() error {
	if err := r.Verdict.Err(); err != nil {
		return fmt.Errorf("scenario %s: %w", r.Scenario, err)
	}
	return nil
}

// MissingError says which needs of a scenario a runtime cannot meet (a
// chaos action it cannot perform, or a registry capability); it wraps
// errors.ErrUnsupported.
type MissingError struct {
	Scenario string
	Runtime  string
	Missing  []string // chaos action or capability names
	Err      error    // the detailed reasons, when known
}

func (e *MissingError) Error() string {
	s := fmt.Sprintf("scenario %s needs %v, which runtime %s (or its registry) cannot do", e.Scenario, e.Missing, e.Runtime)
	if e.Err != nil {
		s += ":\n" + e.Err.Error()
	}
	return s
}

// Unwrap makes errors.Is(err, errors.ErrUnsupported) true.
func (e *MissingError) Unwrap() error { return errors.ErrUnsupported }

// Run runs sc on rt: endpoints, registry, load with chaos, drain, then
// reconciliation. The error is for a run that could not happen; a run whose
// expectations failed returns a Result whose Err is non-nil. The caller
// closes rt.
func Run(ctx context.Context, rt runtime.Runtime, sc model.Scenario, o RunOptions) (*Result, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	// Refused before anything starts: chaos the runtime cannot perform.
	if err := chaos.CheckAll(rt, sc.Chaos, sc.AfterLoad); err != nil {
		var names []string
		for _, st := range sc.Timeline() {
			if st.Action.Check(rt) != nil {
				names = append(names, st.Action.Name())
			}
		}
		return nil, &MissingError{Scenario: sc.Name, Runtime: rt.Name(), Missing: names, Err: err}
	}
	// Refused before anything starts: a topology the runtime does not run.
	cluster, _ := rt.(runtime.Cluster)
	if sc.Topology.Clustered() && (cluster == nil || cluster.Topology() != sc.Topology) {
		return nil, &MissingError{Scenario: sc.Name, Runtime: rt.Name(), Missing: []string{"topology: " + sc.Topology.String()}}
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	res := &Result{Scenario: sc.Name, Description: sc.Description, Runtime: rt.Name(), Started: time.Now(),
		Final: map[string]endpoint.EndpointMetrics{}, Fakes: map[string]endpoint.Stats{}, Deliveries: map[string][]endpoint.Delivery{}}

	if err := checkReceivers(sc, o.Receivers); err != nil {
		return nil, err
	}
	// Endpoints first: their registry-side URLs go into the config.
	urls := map[string]string{}
	fakes := map[string]*endpoint.Client{}
	for _, e := range sc.Endpoints {
		ep, err := rt.NewEndpoint(ctx, runtime.EndpointSpec{Name: e.Name, Profile: e.Profile, Receiver: o.Receivers[e.Name]})
		if err != nil {
			return nil, fmt.Errorf("scenario %s: endpoint %s: %w", sc.Name, e.Name, err)
		}
		urls[e.Name] = ep.RegistryURL
		fakes[e.Name] = endpoint.NewClient(ep.AdminURL)
		res.Endpoints = append(res.Endpoints, e.Name)
	}
	tmpl, err := sc.ConfigTemplate(urls)
	if err != nil {
		return nil, err
	}
	if o.ConfigTemplate != "" {
		notif, err := sc.NotificationsTemplate(urls)
		if err != nil {
			return nil, err
		}
		tmpl = strings.ReplaceAll(o.ConfigTemplate, "{{.Notifications}}", notif)
	}
	spec := runtime.RegistrySpec{ConfigTemplate: tmpl, Binary: o.Binary, Faults: o.Faults, Image: o.Image}
	reg, err := rt.StartRegistry(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: registry: %w", sc.Name, err)
	}
	res.Registry = reg
	if missing := sc.Missing(reg); len(missing) > 0 {
		names := make([]string, len(missing))
		for i, m := range missing {
			names[i] = string(m)
		}
		return nil, &MissingError{Scenario: sc.Name, Runtime: rt.Name(), Missing: names}
	}

	// Baseline: an external registry's counters need not start at 0.
	base, err := observe.WaitEndpoints(ctx, reg.DebugURL, res.Endpoints, 15*time.Second)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}

	sampler := observe.NewSampler(reg.DebugURL, reg.MetricsPath, o.SampleInterval)
	if cluster != nil {
		// Every replica sampled, their counters summed (a replica's
		// /metrics is its own: not compared with the sums).
		sampler.MetricsPath = ""
		res.Topology, res.Replicas = cluster.Topology(), cluster.Replicas()
		var reps []observe.Replica
		var bases []map[string]endpoint.EndpointMetrics
		for _, rp := range res.Replicas {
			b, err := observe.WaitEndpoints(ctx, rp.DebugURL, res.Endpoints, 30*time.Second)
			if err != nil {
				return nil, fmt.Errorf("scenario %s: %s: %w", sc.Name, rp.Name, err)
			}
			bases = append(bases, b)
			reps = append(reps, observe.Replica{Name: rp.Name, DebugURL: rp.DebugURL})
		}
		base = observe.SumEndpoints(bases, res.Topology.SharedPending())
		sampler.SetReplicas(reps, res.Topology.SharedPending())
	}
	sampler.Baseline = base
	ledger := &load.Ledger{}
	start := time.Now()
	// The phase and drain bound the live display shows: the sampler's
	// goroutine reads them while Run moves on, so they change as one value.
	type stage struct {
		name  string
		drain time.Duration // the drain's bound, in the drain
	}
	var shown atomic.Pointer[stage]
	shown.Store(&stage{name: "load"})
	var hits atomic.Int64
	plan := planOf(sc.Load, o)
	drain := sc.Expect.DrainTimeout
	if o.DrainTimeout > 0 {
		drain = o.DrainTimeout
	}
	if drain == 0 {
		drain = 15 * time.Second
	}
	// Rates over the last second of samples, for the live display.
	type point struct {
		at           time.Time
		pushed, hits int
	}
	var window []point
	sampler.OnSample(func(s observe.Sample) {
		if o.Progress == nil {
			return
		}
		p := Progress{Elapsed: time.Since(start), Pushed: ledger.Len(), Hits: int(hits.Load()), TotalHits: plan.hits, PlannedLoad: plan.duration,
			Delivered: map[string]int{}, Pending: map[string]int{}, Endpoints: res.Endpoints}
		st := shown.Load()
		p.Phase, p.Drain = st.name, st.drain
		window = append(window, point{s.At, p.Pushed, p.Hits})
		for len(window) > 2 && s.At.Sub(window[1].at) >= time.Second {
			window = window[1:]
		}
		if dt := s.At.Sub(window[0].at).Seconds(); dt > 0.05 {
			p.PushRate = float64(p.Pushed-window[0].pushed) / dt
			p.HitRate = float64(p.Hits-window[0].hits) / dt
		}
		for name, m := range s.Endpoints {
			p.Delivered[name] = m.Successes
			p.Pending[name] = m.Pending
		}
		o.Progress(p)
	})
	// Sampling outlives an interruption: the partial report still needs
	// the registry's counters.
	sctx, stopSampling := context.WithCancel(context.WithoutCancel(ctx))
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() { defer sampling.Done(); sampler.Run(sctx) }()
	defer func() { stopSampling(); sampling.Wait() }()

	// Chaos timeline beside the load.
	var apiURL atomic.Value // the registry's API URL, updated on restart
	apiURL.Store(reg.URL)
	env := chaos.Env{Runtime: rt, Fake: func(name string) *endpoint.Client { return fakes[name] },
		Restarted: func(r runtime.Registry) {
			sampler.SetDebugURL(r.DebugURL)
			apiURL.Store(r.URL)
		}}
	chaosDone := make(chan []chaos.Record, 1)
	go func() { chaosDone <- chaos.Run(ctx, env, sc.Chaos, start, logf) }()

	target := load.Target{URL: reg.URL, SingleRequestUpload: reg.SingleRequestUpload, NoTagQuery: reg.NoTagQuery, IncludeReferences: sc.Registry.IncludeReferences,
		Resolve: func() string { return apiURL.Load().(string) }}
	for _, p := range sc.Load {
		if o.Rate > 0 {
			p.Pacing.Rate = o.Rate
		}
		if o.Count > 0 || o.Duration > 0 {
			p.Count, p.Duration = o.Count, o.Duration
		}
		if ctx.Err() != nil {
			break
		}
		logf("load %s: count=%d duration=%s rate=%v", p.Op, p.Count, p.Duration, p.Pacing.Rate)
		lr, err := load.Run(ctx, target, p, ledger, func(load.Hit) { hits.Add(1) })
		if err != nil {
			if ctx.Err() != nil {
				break // interrupted while seeding
			}
			return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		res.Load = append(res.Load, lr)
	}
	res.LoadDuration = time.Since(start)
	res.Chaos = <-chaosDone
	if ctx.Err() == nil {
		res.Chaos = append(res.Chaos, chaos.Run(ctx, env, sc.AfterLoad, time.Now(), logf)...)
	}
	if r, err := rt.Registry(); err == nil {
		res.Registry = r
	}

	// Interrupted: what is left runs on a context of its own, bounded, so
	// that the partial run is still observed and reported.
	var cancels []context.CancelFunc
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	interrupt := func(when string) {
		res.Interrupted = true
		bound := o.InterruptDrain
		if bound <= 0 {
			bound = 5 * time.Second
		}
		drain = min(drain, bound)
		if st := shown.Load(); st.name == "drain" {
			shown.Store(&stage{name: st.name, drain: drain})
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), drain+10*time.Second)
		cancels = append(cancels, cancel)
		res.Notes = append(res.Notes, fmt.Sprintf("interrupted %s after %s: the load stopped early, the drain was cut to %s at most; the checks describe a partial run",
			when, time.Since(start).Round(time.Millisecond), drain))
	}
	if ctx.Err() != nil {
		interrupt("during the load")
	}

	// Drain: wait for every endpoint's Pending to reach its expected value
	// and for registry and receivers to stop changing.
	shown.Store(&stage{name: "drain", drain: drain})
	drainStart := time.Now()
	final, err := settle(ctx, sampler, sc, fakes, drain)
	if err != nil && ctx.Err() != nil && !res.Interrupted {
		interrupt("during the drain")
		if final, err = settle(ctx, sampler, sc, fakes, drain); err != nil {
			logf("drain: %v", err)
		}
	} else if err != nil {
		logf("drain: %v", err)
	}
	res.DrainDuration = time.Since(drainStart)
	stopSampling()
	sampling.Wait()

	// Final observation.
	restarted := chaos.RestartsRegistry(sc.Timeline())
	var obs []verdict.Observation
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
		obs = append(obs, verdict.Observation{Name: e.Name, Ignore: e.IgnoreOf(), Tolerance: e.Tolerance, Registry: m, Fake: st, Deliveries: ds})
	}
	res.Ledger = ledger.Entries()
	res.Samples = sampler.Samples()
	var checks []verdict.Check
	res.Reconciliation, checks = verdict.Reconcile(res.Ledger, obs)
	// Prometheus series are not rebased: compared only when the
	// registry's counters started at zero.
	if final.Error == "" && observe.ZeroBaseline(base) {
		for _, e := range sc.Endpoints {
			checks = append(checks, verdict.PrometheusChecks(e.Name, final.Endpoints[e.Name], final.Prom, e.Tolerance.Pending > 0)...)
		}
	}
	overridden := o.Rate > 0 || o.Count > 0 || o.Duration > 0
	if overridden && len(sc.Expect.Final) > 0 {
		res.Notes = append(res.Notes, "load overridden: the scenario's final counters (declared for its own load) were not checked; reconciliation against the ledger still was")
		sc.Expect.Final = nil
	}
	sc, declared := declaredFinal(sc, target)
	res.Notes = append(res.Notes, declared...)
	res.Expect = sc.Expect
	if res.Interrupted && len(sc.Expect.Final) > 0 {
		res.Notes = append(res.Notes, "interrupted: the scenario's final counters (declared for its whole load) were not checked")
		sc.Expect.Final = nil
	}
	run := verdict.Run{Scenario: sc, Started: res.Started, Final: res.Final, Samples: res.Samples, Chaos: res.Chaos}
	if ls, ok := rt.(runtime.LocalStorage); ok {
		run.StorageDir = ls.StorageDir()
	}
	expect, notes := verdict.Expectations(run)
	checks = append(checks, expect...)
	checks = append(checks, verdict.SecretChecks(secrets(sc), pages(ctx, res.Registry))...)
	res.Verdict = verdict.Verdict{Checks: checks}
	res.Notes = append(res.Notes, notes...)
	res.Duration = time.Since(res.Started)
	return res, nil
}

// plan is what the load phases promise, for an ETA.
type plan struct {
	hits     int           // every phase has a count: their sum
	duration time.Duration // every phase has a duration: their sum
}

func planOf(phases []load.Profile, o RunOptions) plan {
	var pl plan
	countAll, durAll := len(phases) > 0, len(phases) > 0
	for _, p := range phases {
		if o.Count > 0 || o.Duration > 0 {
			p.Count, p.Duration = o.Count, o.Duration
		}
		countAll = countAll && p.Count > 0
		durAll = durAll && p.Duration > 0
		pl.hits += p.Count
		pl.duration += p.Duration
	}
	if !countAll {
		pl.hits = 0
	}
	if !durAll {
		pl.duration = 0
	}
	return pl
}

// checkReceivers refuses a receiver for an endpoint the scenario lacks,
// or one that is no http(s) URL.
func checkReceivers(sc model.Scenario, receivers map[string]string) error {
	for name, u := range receivers {
		if !slices.ContainsFunc(sc.Endpoints, func(e model.EndpointDef) bool { return e.Name == name }) {
			var names []string
			for _, e := range sc.Endpoints {
				names = append(names, e.Name)
			}
			return fmt.Errorf("scenario %s: receiver for endpoint %q, which it does not have (endpoints: %s)", sc.Name, name, strings.Join(names, ", "))
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("scenario %s: receiver of endpoint %s: want an http(s) URL, got %q", sc.Name, name, u)
		}
	}
	return nil
}

// settle polls until every endpoint's Pending reached its expected value and
// neither the registry's counters nor the receivers' changed for a while.
func settle(ctx context.Context, s *observe.Sampler, sc model.Scenario, fakes map[string]*endpoint.Client, d time.Duration) (observe.Sample, error) {
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

// secrets are every endpoint's values that must never be shown.
func secrets(sc model.Scenario) []model.Secret {
	var out []model.Secret
	for _, e := range sc.Endpoints {
		out = append(out, e.Secrets()...)
	}
	return out
}

// pages are what the registry shows about its endpoints: /debug/vars and
// its Prometheus page, those it serves.
func pages(ctx context.Context, reg runtime.Registry) map[string]verdict.Page {
	out := map[string]verdict.Page{}
	if reg.DebugURL == "" {
		return out
	}
	base := strings.TrimRight(reg.DebugURL, "/")
	for _, path := range []string{"/debug/vars", reg.MetricsPath} {
		if path != "" {
			b, err := observe.Fetch(ctx, nil, base+path)
			out[path] = verdict.Page{Body: b, Err: err}
		}
	}
	return out
}
