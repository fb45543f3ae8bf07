package harness

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/hookbench/hookbench/harness/load"
)

// Tolerance relaxes reconciliation where the scenario makes an exact
// independent count impossible, and says so in the report.
type Tolerance struct {
	// Timeouts: the receiver may answer after the registry gave up, so the
	// receiver's answers bound the registry's from above and duplicates are
	// expected.
	Timeouts bool `json:"timeouts,omitempty"`
	// Refusals: connections were refused (endpoint stopped or refusing),
	// which the receiver cannot count, so Errors bounds resets+hangs from above.
	Refusals bool `json:"refusals,omitempty"`
	// CheckOrder: per-repository delivery order must follow event order.
	CheckOrder bool `json:"checkOrder,omitempty"`
	// Pending expected at the end (default 0: everything delivered).
	Pending int `json:"pending,omitempty"`
	// Restarted: the registry was restarted during the run, so its
	// counters cover only its last life: registry <= observed. Set by Run
	// when the chaos timeline kills or restarts the registry.
	Restarted bool `json:"restarted,omitempty"`
	// AllowLost: events may be lost (e.g. a registry killed with an in-memory
	// queue); the count is reported, not failed.
	AllowLost bool `json:"allowLost,omitempty"`
	// InFlight: up to this many duplicates are expected, e.g. events in
	// flight when the registry was killed (delivered, but not yet removed
	// from a durable queue).
	InFlight int `json:"inFlight,omitempty"`
}

// Ignore mirrors an endpoint's ignore rules, to know what it is owed.
type Ignore struct {
	MediaTypes []string `json:"mediaTypes,omitempty"`
	Actions    []string `json:"actions,omitempty"`
}

// Drops reports whether the rules drop e before the queue.
func (ig Ignore) Drops(e load.Entry) bool {
	for _, a := range ig.Actions {
		if a == e.Action {
			return true
		}
	}
	for _, m := range ig.MediaTypes {
		if m != "" && m == e.MediaType {
			return true
		}
	}
	return false
}

// Observation is everything known about one endpoint at the end of a run.
type Observation struct {
	Name       string
	Ignore     Ignore
	Tolerance  Tolerance
	Registry   EndpointMetrics // what the registry reports
	Fake       FakeStats       // what the receiver counted
	Deliveries []Delivery      // what the receiver recorded
}

// Check is one named comparison between the registry and independent
// observation.
type Check struct {
	Name     string `json:"name"`
	Registry string `json:"registry"` // the registry's side
	Observed string `json:"observed"` // the independent side
	OK       bool   `json:"ok"`
	Note     string `json:"note,omitempty"`
}

func (c Check) String() string {
	s := fmt.Sprintf("%s: registry %s, observed %s", c.Name, c.Registry, c.Observed)
	if c.Note != "" {
		s += " (" + c.Note + ")"
	}
	return s
}

// EndpointReconciliation is the verdict for one endpoint.
type EndpointReconciliation struct {
	Name            string       `json:"name"`
	Owed            int          `json:"owed"`      // accepted operations not ignored
	Delivered       int          `json:"delivered"` // distinct owed events accepted by the receiver
	Lost            []load.Entry `json:"lost,omitempty"`
	Unexpected      []Delivery   `json:"unexpected,omitempty"`
	Duplicates      int          `json:"duplicates"` // accepted deliveries of an id already accepted
	OrderViolations int          `json:"orderViolations"`
	Checks          []Check      `json:"checks"`

	// Mismatches: delivered events about an owed object that differ from
	// what their operation owes (first differing field each).
	Mismatches []load.Mismatch `json:"mismatches,omitempty"`
}

// Failed returns the checks that did not hold.
func (r EndpointReconciliation) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// Reconciliation is the verdict for a run.
type Reconciliation struct {
	Endpoints []EndpointReconciliation `json:"endpoints"`
}

// Err names every disagreement, or returns nil.
func (r Reconciliation) Err() error {
	var lines []string
	for _, e := range r.Endpoints {
		for _, c := range e.Failed() {
			lines = append(lines, fmt.Sprintf("endpoint %s: %s", e.Name, c))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return fmt.Errorf("reconciliation failed:\n  %s", strings.Join(lines, "\n  "))
}

// Reconcile compares what the load was accepted for (owed), what each
// receiver recorded and answered, and what the registry reports.
func Reconcile(owed []load.Entry, obs []Observation) Reconciliation {
	var r Reconciliation
	for _, o := range obs {
		r.Endpoints = append(r.Endpoints, reconcileOne(owed, o))
	}
	return r
}

func reconcileOne(all []load.Entry, o Observation) EndpointReconciliation {
	out := EndpointReconciliation{Name: o.Name}
	tol := o.Tolerance
	m := o.Registry
	add := func(name string, reg, obs any, ok bool, note string) {
		out.Checks = append(out.Checks, Check{Name: name, Registry: fmt.Sprint(reg), Observed: fmt.Sprint(obs), OK: ok, Note: note})
	}

	// What this endpoint is owed.
	var owed []load.Entry
	for _, e := range all {
		if !o.Ignore.Drops(e) {
			owed = append(owed, e)
		}
	}
	out.Owed = len(owed)

	// Accepted deliveries, first acceptance per id, in arrival order.
	ds := append([]Delivery(nil), o.Deliveries...)
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Arrived.Before(ds[j].Arrived) })
	seen := map[string]bool{}
	var firsts []Delivery
	for _, d := range ds {
		if !d.Accepted() {
			continue
		}
		if seen[d.ID] {
			out.Duplicates++
			continue
		}
		seen[d.ID] = true
		firsts = append(firsts, d)
	}
	// Every first acceptance against what the load owes, field by field.
	match := load.MatchDeliveries(owed, firsts)
	out.Delivered = match.Matched + len(match.Mismatches)
	out.Lost, out.Mismatches = match.Missing, match.Mismatches
	for _, j := range match.Unowed {
		out.Unexpected = append(out.Unexpected, firsts[j])
	}
	sort.Slice(out.Lost, func(i, j int) bool { return out.Lost[i].At.Before(out.Lost[j].At) })

	// Per-repository order: first acceptances must follow event timestamps.
	last := map[string]Delivery{}
	for _, d := range firsts {
		if p, ok := last[d.Repository]; ok && d.Timestamp.Before(p.Timestamp) {
			out.OrderViolations++
		}
		last[d.Repository] = d
	}

	// Lost vs Pending: an undelivered event must still be pending.
	// Dead-lettered events were set aside on purpose: owed, never accepted, not pending.
	lostReg := fmt.Sprintf("Pending=%d", m.Pending)
	if m.DeadLettered > 0 {
		lostReg += fmt.Sprintf("+DeadLettered=%d", m.DeadLettered)
	}
	add("Lost", lostReg, fmt.Sprintf("%d owed events never accepted by the receiver%s", len(out.Lost), sampleEntries(out.Lost)),
		len(out.Lost) == m.Pending+m.DeadLettered || tol.AllowLost, lostNote(tol))
	add("Unexpected", "-", fmt.Sprintf("%d accepted events nobody pushed%s", len(out.Unexpected), sampleDeliveries(out.Unexpected)),
		len(out.Unexpected) == 0, "")
	add("Content", "-", fmt.Sprintf("%d delivered events differ from what their operation owes%s", len(out.Mismatches), sampleMismatches(out.Mismatches)),
		len(out.Mismatches) == 0, contentNote(match.Partial))
	if tol.Timeouts {
		add("Duplicates", "-", out.Duplicates, true, "duplicates expected: the receiver answered after the registry's timeout")
	} else if tol.InFlight > 0 {
		add("Duplicates", "-", out.Duplicates, out.Duplicates <= tol.InFlight,
			fmt.Sprintf("at most %d: only events in flight at a kill may be sent again", tol.InFlight))
	} else {
		add("Duplicates", "-", out.Duplicates, out.Duplicates == 0, "an accepted event re-sent")
	}
	if tol.CheckOrder {
		add("Order", "-", fmt.Sprintf("%d order violations", out.OrderViolations), out.OrderViolations == 0, "")
	}
	restartNote := ""
	if tol.Restarted {
		restartNote = "the registry restarted: its counters cover its last life only, registry <= observed"
	}
	add("Events", m.Events, fmt.Sprintf("%d accepted by the registry, not ignored", out.Owed),
		m.Events == out.Owed || (tol.Restarted && m.Events <= out.Owed), orNote(restartNote, "Events counts every event queued"))
	add("Pending", m.Pending, tol.Pending, m.Pending == tol.Pending, "final Pending")

	// Answers: the receiver's own histogram against the registry's.
	fake2xx, fakeFail := 0, 0
	for k, n := range o.Fake.Statuses {
		if code := statusCode(k); code >= 200 && code < 400 {
			fake2xx += n
		} else {
			fakeFail += n
		}
	}
	cmp := func(reg, obs int) bool {
		if tol.Timeouts || tol.Restarted {
			return reg <= obs
		}
		return reg == obs
	}
	note := restartNote
	if tol.Timeouts {
		note = "late answers are invisible to the registry: registry <= receiver"
	}
	add("Successes", m.Successes, fmt.Sprintf("%d 2xx/3xx answers", fake2xx), cmp(m.Successes, fake2xx), note)
	add("Failures", m.Failures, fmt.Sprintf("%d other answers", fakeFail), cmp(m.Failures, fakeFail), note)
	codes := map[string]bool{}
	for k := range m.Statuses {
		codes[k] = true
	}
	for k := range o.Fake.Statuses {
		codes[k] = true
	}
	for _, k := range sortedKeys(codes) {
		add("Statuses["+k+"]", m.Statuses[k], o.Fake.Statuses[k], cmp(m.Statuses[k], o.Fake.Statuses[k]), note)
	}
	noAnswer := o.Fake.NoAnswer()
	errObs := fmt.Sprintf("%d resets + %d hangs + %d timeouts", o.Fake.Resets, o.Fake.Hangs, o.Fake.Timeouts)
	switch {
	case tol.Restarted:
		add("Errors", m.Errors, errObs, true, restartNote+" (not compared)")
	case tol.Refusals || tol.Timeouts:
		add("Errors", m.Errors, errObs, m.Errors >= noAnswer,
			"refused connections and late timeouts are invisible to the receiver: registry >= receiver")
	default:
		add("Errors", m.Errors, errObs, m.Errors == noAnswer, "")
	}
	if o.Fake.LedgerDropped > 0 {
		add("Ledger", "-", fmt.Sprintf("%d ledger rows dropped by the receiver's cap", o.Fake.LedgerDropped), false,
			"raise the fake's ledger cap: per-event reconciliation needs every row")
	}
	// Attempts: every attempt the registry counted, the receiver saw
	// (refusals excepted).
	regAttempts := m.Successes + m.Failures + m.Errors
	received := fmt.Sprintf("%d requests received", o.Fake.Deliveries)
	switch {
	case tol.Restarted:
		add("Attempts", regAttempts, received, true, restartNote+" (not compared)")
	case tol.Refusals: // with Timeouts as well: as strict as before, refusals weigh more than an attempt under way
		add("Attempts", regAttempts, received, regAttempts >= o.Fake.Deliveries, "Successes+Failures+Errors; refusals never reach the receiver")
	case tol.Timeouts:
		// An attempt the receiver has seen is counted by the registry only
		// once answered or timed out: one still going makes registry < receiver.
		add("Attempts", regAttempts, received, regAttempts <= o.Fake.Deliveries, "Successes+Failures+Errors; attempts under way are not counted yet: registry <= receiver")
	default:
		add("Attempts", regAttempts, received, regAttempts == o.Fake.Deliveries, "Successes+Failures+Errors")
	}
	return out
}

func statusCode(k string) int {
	var c int
	fmt.Sscanf(k, "%d", &c)
	return c
}

// StatusKey is the registry's Statuses key for a code: "500 Internal Server Error".
func StatusKey(code int) string { return fmt.Sprintf("%d %s", code, http.StatusText(code)) }

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sampleEntries(es []load.Entry) string {
	if len(es) == 0 {
		return ""
	}
	var parts []string
	for i, e := range es {
		if i == 3 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, e.String())
	}
	return ": " + strings.Join(parts, ", ")
}

func sampleDeliveries(ds []Delivery) string {
	if len(ds) == 0 {
		return ""
	}
	var parts []string
	for i, d := range ds {
		if i == 3 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, load.EventOf(d).String())
	}
	return ": " + strings.Join(parts, ", ")
}

func sampleMismatches(ms []load.Mismatch) string {
	if len(ms) == 0 {
		return ""
	}
	var parts []string
	for i, m := range ms {
		if i == 3 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, m.String())
	}
	return ": " + strings.Join(parts, "; ")
}

func contentNote(partial int) string {
	if partial > 0 {
		return fmt.Sprintf("every field an operation owes; %d events compared by identity only: the receiver kept no body", partial)
	}
	return "every field an operation owes (action, target, request method, user agent and host, actor)"
}

func lostNote(t Tolerance) string {
	if t.AllowLost {
		return "losses allowed by the scenario: reported, not failed"
	}
	return "every event not delivered must still be pending"
}

func orNote(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
