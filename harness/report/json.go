package report

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/verdict"
	"github.com/hookbench/hookbench/load"
)

// Verdicts of a run, the top-level "verdict" of report.json.
const (
	VerdictPass        = "pass"
	VerdictFail        = "fail"
	VerdictInterrupted = "interrupted"
)

// DetailFile is the per-event detail written beside report.json.
const DetailFile = "events.json.gz"

// VerdictOf is a run's verdict: interrupted whatever its checks say (they
// describe a partial run), else fail when a check failed, else pass.
func VerdictOf(r *harness.Result) string {
	switch {
	case r.Interrupted:
		return VerdictInterrupted
	case r.Err() != nil:
		return VerdictFail
	}
	return VerdictPass
}

// Summary is report.json: what a person or a CI step reads first (verdict,
// the checks that failed, per endpoint what was owed and what arrived),
// every duration as a string ("1.52s"). Per-event detail (ledger,
// deliveries, samples, hits) is in DetailFile, or inline with WithDetail.
type Summary struct {
	Verdict       string            `json:"verdict"` // pass, fail, interrupted
	Scenario      string            `json:"scenario"`
	Description   string            `json:"description,omitempty"`
	Runtime       string            `json:"runtime"`
	Registry      runtime.Registry  `json:"registry"`
	Started       time.Time         `json:"started"`
	Duration      endpoint.Duration `json:"duration"`
	LoadDuration  endpoint.Duration `json:"loadDuration"`
	DrainDuration endpoint.Duration `json:"drainDuration"`
	// Failures are the checks that did not hold, by name.
	Failures []Failure `json:"failures"`
	// LedgerEntries is how many events the load's accepted operations owe.
	LedgerEntries int               `json:"ledgerEntries"`
	Endpoints     []EndpointSummary `json:"endpoints"`
	Load          []LoadPhase       `json:"load"`
	Chaos         []ChaosStep       `json:"chaos"`
	Checks        []verdict.Check   `json:"checks"`
	Notes         []string          `json:"notes,omitempty"`
	// DetailFile names the per-event detail beside this file, if written.
	DetailFile string  `json:"detailFile,omitempty"`
	Detail     *Detail `json:"detail,omitempty"`
	// Topology of a clustered registry, and each replica's counters at
	// the last sample (Endpoints shows their sums).
	Topology runtime.Topology        `json:"topology,omitzero"`
	Replicas []observe.ReplicaSample `json:"replicas,omitempty"`
}

// Failure is one check that did not hold.
type Failure struct {
	Name     string `json:"name"`
	Endpoint string `json:"endpoint,omitempty"`
	Kind     string `json:"kind"` // reconcile or expect
	Registry string `json:"registry"`
	// Observed is what was observed, or for an expectation what was expected.
	Observed string `json:"observed"`
	Note     string `json:"note,omitempty"`
}

// Events sums up one endpoint's events: owed by the load, delivered
// (first acceptances), and what went wrong.
type Events struct {
	Owed            int `json:"owed"`
	Delivered       int `json:"delivered"`
	Lost            int `json:"lost"`
	Duplicates      int `json:"duplicates"`
	Unexpected      int `json:"unexpected"`
	Mismatches      int `json:"contentMismatches"`
	OrderViolations int `json:"orderViolations"`
}

// EndpointSummary is one endpoint: its events, the registry's counters
// and the receiver's own.
type EndpointSummary struct {
	Name     string                   `json:"name"`
	Events   Events                   `json:"events"`
	Registry endpoint.EndpointMetrics `json:"registry"`
	Receiver ReceiverStats            `json:"receiver"`
}

// ReceiverStats are endpoint.Stats with readable latencies.
type ReceiverStats struct {
	endpoint.Stats
	Latency struct {
		Count int               `json:"count"`
		Min   endpoint.Duration `json:"min"`
		P50   endpoint.Duration `json:"p50"`
		P90   endpoint.Duration `json:"p90"`
		P99   endpoint.Duration `json:"p99"`
		Max   endpoint.Duration `json:"max"`
	} `json:"latency"`
}

// LoadPhase is one load phase: its profile, vegeta's metrics and the
// differences the registry declared (Result.Declared); hits are detail.
type LoadPhase struct {
	Profile  Profile  `json:"profile"`
	Metrics  Metrics  `json:"metrics"`
	Hits     int      `json:"hits"`
	Seeded   int      `json:"seeded"`
	Declared []string `json:"declared,omitempty"`
}

// Profile is load.Profile with readable durations.
type Profile struct {
	load.Profile
	Duration endpoint.Duration `json:"duration,omitempty"`
	Timeout  endpoint.Duration `json:"timeout,omitempty"`
	Pacing   struct {
		load.Pacing
		Period endpoint.Duration `json:"period,omitempty"`
	} `json:"pacing"`
}

// Metrics are vegeta's metrics with readable durations.
type Metrics struct {
	vegeta.Metrics
	Latencies struct {
		Total endpoint.Duration `json:"total"`
		Mean  endpoint.Duration `json:"mean"`
		P50   endpoint.Duration `json:"50th"`
		P90   endpoint.Duration `json:"90th"`
		P95   endpoint.Duration `json:"95th"`
		P99   endpoint.Duration `json:"99th"`
		Max   endpoint.Duration `json:"max"`
		Min   endpoint.Duration `json:"min"`
	} `json:"latencies"`
	Duration endpoint.Duration `json:"duration"`
	Wait     endpoint.Duration `json:"wait"`
}

// ChaosStep is a performed chaos action, At since the load started.
type ChaosStep struct {
	chaos.Record
	At endpoint.Duration `json:"at"`
}

// Hit is load.Hit with a readable latency.
type Hit struct {
	load.Hit
	Latency endpoint.Duration `json:"latency"`
}

// Detail is per-event data: large (a 20,000-event run has tens of
// thousands of ledger rows and deliveries), so kept out of report.json.
type Detail struct {
	Ledger         []load.Entry                   `json:"ledger"`
	Deliveries     map[string][]endpoint.Delivery `json:"deliveries"`
	Samples        []observe.Sample               `json:"samples"`
	Hits           [][]Hit                        `json:"hits"` // per load phase
	Reconciliation verdict.Reconciliation         `json:"reconciliation"`
}

// rd rounds a duration for people: ms above a second, µs above a ms.
func rd(x time.Duration) endpoint.Duration { return endpoint.Duration(roundFor(x)) }

func roundFor(x time.Duration) time.Duration {
	switch {
	case x >= time.Second:
		return x.Round(time.Millisecond)
	case x >= time.Millisecond:
		return x.Round(10 * time.Microsecond)
	}
	return x.Round(time.Microsecond)
}

// Summarize builds the summary of r, without detail.
func Summarize(r *harness.Result) *Summary {
	s := &Summary{Verdict: VerdictOf(r), Scenario: r.Scenario, Description: r.Description, Runtime: r.Runtime, Registry: r.Registry,
		Started: r.Started, Duration: rd(r.Duration), LoadDuration: rd(r.LoadDuration), DrainDuration: rd(r.DrainDuration),
		Failures: []Failure{}, LedgerEntries: len(r.Ledger), Checks: r.Verdict.Checks, Notes: r.Notes, Chaos: []ChaosStep{}}
	s.Topology, s.Replicas = r.Topology, lastReplicas(r)
	for _, c := range r.Verdict.Failed() {
		s.Failures = append(s.Failures, Failure{Name: c.Name, Endpoint: c.Endpoint, Kind: c.Kind, Registry: c.Registry, Observed: c.Observed, Note: c.Note})
	}
	rec := map[string]verdict.EndpointReconciliation{}
	for _, e := range r.Reconciliation.Endpoints {
		rec[e.Name] = e
	}
	for _, name := range r.Endpoints {
		e := rec[name]
		es := EndpointSummary{Name: name, Registry: r.Final[name], Events: Events{Owed: e.Owed, Delivered: e.Delivered, Lost: len(e.Lost),
			Duplicates: e.Duplicates, Unexpected: len(e.Unexpected), Mismatches: len(e.Mismatches), OrderViolations: e.OrderViolations}}
		st := r.Fakes[name]
		es.Receiver.Stats = st
		l := &es.Receiver.Latency
		l.Count, l.Min, l.P50, l.P90, l.P99, l.Max = st.Latency.Count, rd(st.Latency.Min), rd(st.Latency.P50), rd(st.Latency.P90), rd(st.Latency.P99), rd(st.Latency.Max)
		s.Endpoints = append(s.Endpoints, es)
	}
	for _, lr := range r.Load {
		p := LoadPhase{Hits: len(lr.Hits), Seeded: lr.Seeded, Declared: lr.Declared}
		p.Profile.Profile, p.Profile.Duration, p.Profile.Timeout = lr.Profile, rd(lr.Profile.Duration), rd(lr.Profile.Timeout)
		p.Profile.Pacing.Pacing, p.Profile.Pacing.Period = lr.Profile.Pacing, rd(lr.Profile.Pacing.Period)
		m := lr.Metrics
		m.Histogram = nil
		p.Metrics.Metrics, p.Metrics.Duration, p.Metrics.Wait = m, rd(m.Duration), rd(m.Wait)
		lt, ml := &p.Metrics.Latencies, m.Latencies
		lt.Total, lt.Mean, lt.P50, lt.P90, lt.P95, lt.P99, lt.Max, lt.Min = rd(ml.Total), rd(ml.Mean), rd(ml.P50), rd(ml.P90), rd(ml.P95), rd(ml.P99), rd(ml.Max), rd(ml.Min)
		s.Load = append(s.Load, p)
	}
	for _, c := range r.Chaos {
		s.Chaos = append(s.Chaos, ChaosStep{Record: c, At: rd(c.At)})
	}
	return s
}

// DetailOf is r's per-event detail.
func DetailOf(r *harness.Result) *Detail {
	d := &Detail{Ledger: r.Ledger, Deliveries: r.Deliveries, Samples: r.Samples, Reconciliation: r.Reconciliation}
	for _, lr := range r.Load {
		hs := make([]Hit, len(lr.Hits))
		for i, h := range lr.Hits {
			hs[i] = Hit{Hit: h, Latency: endpoint.Duration(h.Latency)}
		}
		d.Hits = append(d.Hits, hs)
	}
	return d
}

// Result rebuilds a harness.Result from a summary and, when known, its
// detail (without it: no ledger, deliveries, samples or hits).
func (s *Summary) Result() *harness.Result {
	r := &harness.Result{Scenario: s.Scenario, Description: s.Description, Runtime: s.Runtime, Registry: s.Registry, Started: s.Started,
		Duration: time.Duration(s.Duration), LoadDuration: time.Duration(s.LoadDuration), DrainDuration: time.Duration(s.DrainDuration),
		Final: map[string]endpoint.EndpointMetrics{}, Fakes: map[string]endpoint.Stats{}, Deliveries: map[string][]endpoint.Delivery{},
		Verdict: verdict.Verdict{Checks: s.Checks}, Notes: s.Notes, Interrupted: s.Verdict == VerdictInterrupted}
	for _, e := range s.Endpoints {
		r.Endpoints = append(r.Endpoints, e.Name)
		r.Final[e.Name] = e.Registry
		st, l := e.Receiver.Stats, e.Receiver.Latency
		st.Latency = endpoint.LatencyStats{Count: l.Count, Min: time.Duration(l.Min), P50: time.Duration(l.P50), P90: time.Duration(l.P90),
			P99: time.Duration(l.P99), Max: time.Duration(l.Max)}
		r.Fakes[e.Name] = st
		// Without detail the lists are blank rows: their counts survive.
		r.Reconciliation.Endpoints = append(r.Reconciliation.Endpoints, verdict.EndpointReconciliation{Name: e.Name, Owed: e.Events.Owed,
			Delivered: e.Events.Delivered, Duplicates: e.Events.Duplicates, OrderViolations: e.Events.OrderViolations,
			Lost: make([]load.Entry, e.Events.Lost), Unexpected: make([]endpoint.Delivery, e.Events.Unexpected),
			Mismatches: make([]load.Mismatch, e.Events.Mismatches)})
	}
	for i, p := range s.Load {
		lr := &load.Result{Profile: p.Profile.Profile, Seeded: p.Seeded, Declared: p.Declared}
		lr.Profile.Duration, lr.Profile.Timeout = time.Duration(p.Profile.Duration), time.Duration(p.Profile.Timeout)
		lr.Profile.Pacing, lr.Profile.Pacing.Period = p.Profile.Pacing.Pacing, time.Duration(p.Profile.Pacing.Period)
		lr.Metrics = p.Metrics.Metrics
		lr.Metrics.Duration, lr.Metrics.Wait = time.Duration(p.Metrics.Duration), time.Duration(p.Metrics.Wait)
		lt := p.Metrics.Latencies
		lr.Metrics.Latencies = vegeta.LatencyMetrics{Total: time.Duration(lt.Total), Mean: time.Duration(lt.Mean), P50: time.Duration(lt.P50),
			P90: time.Duration(lt.P90), P95: time.Duration(lt.P95), P99: time.Duration(lt.P99), Max: time.Duration(lt.Max), Min: time.Duration(lt.Min)}
		if s.Detail != nil && i < len(s.Detail.Hits) {
			for _, h := range s.Detail.Hits[i] {
				hh := h.Hit
				hh.Latency = time.Duration(h.Latency)
				lr.Hits = append(lr.Hits, hh)
			}
		}
		r.Load = append(r.Load, lr)
	}
	for _, c := range s.Chaos {
		rec := c.Record
		rec.At = time.Duration(c.At)
		r.Chaos = append(r.Chaos, rec)
	}
	r.Ledger = make([]load.Entry, s.LedgerEntries)
	if d := s.Detail; d != nil {
		r.Ledger, r.Samples, r.Reconciliation = d.Ledger, d.Samples, d.Reconciliation
		if d.Deliveries != nil {
			r.Deliveries = d.Deliveries
		}
	}
	return r
}

// Option adjusts how reports are written.
type Option func(*options)

type options struct{ inline bool }

// WithDetail puts the per-event detail inside report.json instead of
// DetailFile beside it.
func WithDetail() Option { return func(o *options) { o.inline = true } }

// EncodeSummary writes r's summary as indented JSON to w (no detail
// unless WithDetail): what --json prints.
func EncodeSummary(w io.Writer, r *harness.Result, opts ...Option) error {
	var o options
	for _, f := range opts {
		f(&o)
	}
	s := Summarize(r)
	if o.inline {
		s.Detail = DetailOf(r)
	}
	return encode(w, s)
}

func encode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(v)
}

// WriteJSON writes dir/report.json, and the detail into dir/events.json.gz
// unless WithDetail puts it inline.
func WriteJSON(dir string, r *harness.Result, opts ...Option) (string, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	s := Summarize(r)
	if o.inline {
		s.Detail = DetailOf(r)
	} else {
		if err := writeGzipJSON(filepath.Join(dir, DetailFile), DetailOf(r)); err != nil {
			return "", err
		}
		s.DetailFile = DetailFile
	}
	p := filepath.Join(dir, "report.json")
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	if err := encode(f, s); err != nil {
		f.Close()
		return "", err
	}
	return p, f.Close()
}

func writeGzipJSON(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	err = json.NewEncoder(zw).Encode(v)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadJSON reads a report written by WriteJSON, with its detail when the
// detail file is beside it.
func ReadJSON(path string) (*harness.Result, error) {
	s, err := ReadSummary(path)
	if err != nil {
		return nil, err
	}
	return s.Result(), nil
}

// ReadSummary reads report.json and, when it names one that exists, its
// detail file.
func ReadSummary(path string) (*Summary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: not a harness report: %w", path, err)
	}
	if s.Verdict == "" {
		return nil, fmt.Errorf("%s: not a harness report: no verdict", path)
	}
	if s.Detail != nil || s.DetailFile == "" {
		return &s, nil
	}
	dp := filepath.Join(filepath.Dir(path), filepath.Base(s.DetailFile))
	f, err := os.Open(dp)
	if errors.Is(err, fs.ErrNotExist) {
		return &s, nil // the summary alone still reads
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dp, err)
	}
	var d Detail
	if err := json.NewDecoder(zr).Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: %w", dp, err)
	}
	s.Detail = &d
	return &s, nil
}

// WriteAll writes report.json (with events.json.gz), report.txt and
// report.html into dir.
func WriteAll(dir string, r *harness.Result, opts ...Option) error {
	if _, err := WriteJSON(dir, r, opts...); err != nil {
		return err
	}
	var txt strings.Builder
	Text(&txt, r)
	if err := os.WriteFile(filepath.Join(dir, "report.txt"), []byte(txt.String()), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "report.html"))
	if err != nil {
		return err
	}
	if err := HTML(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
