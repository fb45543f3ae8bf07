package verdict

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

// Observation is everything known about one endpoint at the end of a run.
type Observation struct {
	Name       string
	Ignore     model.Ignore
	Tolerance  model.Tolerance
	Registry   endpoint.EndpointMetrics // what the registry reports
	Fake       endpoint.Stats           // what the receiver counted
	Deliveries []endpoint.Delivery      // what the receiver recorded
}

// EndpointReconciliation is what reconciliation found for one endpoint;
// its checks are in the Verdict.
type EndpointReconciliation struct {
	Name            string              `json:"name"`
	Owed            int                 `json:"owed"`      // accepted operations not ignored
	Delivered       int                 `json:"delivered"` // distinct owed events accepted by the receiver
	Lost            []load.Entry        `json:"lost,omitempty"`
	Unexpected      []endpoint.Delivery `json:"unexpected,omitempty"`
	Duplicates      int                 `json:"duplicates"` // accepted deliveries of an id already accepted
	OrderViolations int                 `json:"orderViolations"`

	// Mismatches: delivered events about an owed object that differ from
	// what their operation owes (first differing field each).
	Mismatches []load.Mismatch `json:"mismatches,omitempty"`
}

// Reconciliation is what reconciliation found, per endpoint.
type Reconciliation struct {
	Endpoints []EndpointReconciliation `json:"endpoints"`
}

// Reconcile compares what the load was accepted for (owed), what each
// receiver recorded and answered, and what the registry reports.
// Its checks (Kind "reconcile") go into the run's Verdict.
func Reconcile(owed []load.Entry, obs []Observation) (Reconciliation, []Check) {
	var r Reconciliation
	var checks []Check
	for _, o := range obs {
		e, cs := reconcileOne(owed, o)
		r.Endpoints = append(r.Endpoints, e)
		checks = append(checks, cs...)
	}
	return r, checks
}

func reconcileOne(all []load.Entry, o Observation) (EndpointReconciliation, []Check) {
	out := EndpointReconciliation{Name: o.Name}
	tol := o.Tolerance
	m := o.Registry
	var checks []Check
	add := func(name string, reg, obs any, ok bool, note string) {
		checks = append(checks, Check{Endpoint: o.Name, Kind: KindReconcile, Name: name, Registry: fmt.Sprint(reg), Observed: fmt.Sprint(obs), OK: ok, Note: note})
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
	ds := append([]endpoint.Delivery(nil), o.Deliveries...)
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Arrived.Before(ds[j].Arrived) })
	seen := map[string]bool{}
	var firsts []endpoint.Delivery
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
	// A request that got no answer owes nothing unless its event came.
	out.Owed -= match.Unsettled
	out.Delivered = match.Matched + len(match.Mismatches)
	out.Lost, out.Mismatches = match.Missing, match.Mismatches
	for _, j := range match.Unowed {
		out.Unexpected = append(out.Unexpected, firsts[j])
	}
	sort.Slice(out.Lost, func(i, j int) bool { return out.Lost[i].At.Before(out.Lost[j].At) })

	// Per-repository order: first acceptances must follow event timestamps.
	last := map[string]endpoint.Delivery{}
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
		if code := statusCode(k); code >= 200 && code < 300 {
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
	add("Successes", m.Successes, fmt.Sprintf("%d 2xx answers", fake2xx), cmp(m.Successes, fake2xx), note)
	add("Failures", m.Failures, fmt.Sprintf("%d other answers", fakeFail), cmp(m.Failures, fakeFail), note)
	codes := maps.Clone(m.Statuses)
	if codes == nil {
		codes = map[string]int{}
	}
	maps.Copy(codes, o.Fake.Statuses)
	for _, k := range slices.Sorted(maps.Keys(codes)) {
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
	return out, checks
}

func statusCode(k string) int {
	var c int
	fmt.Sscanf(k, "%d", &c)
	return c
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

func sampleDeliveries(ds []endpoint.Delivery) string {
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

func lostNote(t model.Tolerance) string {
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
