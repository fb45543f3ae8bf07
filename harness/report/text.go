// Package report renders a harness.Result: live progress, a text table
// that says what each check compared, report.json (a summary with a
// top-level verdict; per-event detail beside it), and a self-contained
// HTML page.
package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/verdict"
)

// Text writes the final table: verdict, load figures, the chaos timeline
// (each action once, with its parameters), per endpoint the registry's
// counters beside the receiver's and the events owed and delivered, then
// every check in words.
func Text(w io.Writer, r *harness.Result) { WriteText(w, Summarize(r)) }

// WriteText writes the table of a summary (report.json read back gives
// the same table).
func WriteText(w io.Writer, s *Summary) {
	fmt.Fprintf(w, "scenario %s (%s runtime): %s in %s (load %s, drain %s)\n", s.Scenario, s.Runtime, strings.ToUpper(s.Verdict),
		dur(s.Duration), dur(s.LoadDuration), dur(s.DrainDuration))
	if s.Description != "" {
		fmt.Fprintf(w, "  %s\n", s.Description)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "load\trequests\trate/s\tsuccess\tp50\tp95\tp99\tmax\tcodes")
	var declared []string
	for _, l := range s.Load {
		m := l.Metrics
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f%%\t%s\t%s\t%s\t%s\t%s\n", l.Profile.Op, m.Requests, m.Rate, m.Success*100,
			dur(m.Latencies.P50), dur(m.Latencies.P95), dur(m.Latencies.P99), dur(m.Latencies.Max), codes(m.StatusCodes))
		for _, d := range l.Declared {
			declared = append(declared, l.Profile.Op+": "+d)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "accepted operations owe %d events (the load's ledger)\n", s.LedgerEntries)
	for _, d := range declared {
		fmt.Fprintf(w, "  (declared difference, expected: %s)\n", d)
	}

	// Chaos, once: when, what, on which endpoint, with which parameters.
	if len(s.Chaos) > 0 {
		fmt.Fprintln(w, "\nchaos (time since the load started):")
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, c := range s.Chaos {
			outcome := "done"
			if c.Error != "" {
				outcome = "FAILED: " + c.Error
			}
			fmt.Fprintf(tw, "  at %s\t%s\t%s\t%s\t%s\n", dur(c.At), c.Action, orDash(c.Endpoint), orDash(c.Params), outcome)
		}
		tw.Flush()
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "endpoint\tregistry: Pending\tEvents\tSuccesses\tFailures\tErrors\tStatuses\t| receiver: requests\tunique\tdup\tresets\thangs\tstatuses")
	for _, e := range s.Endpoints {
		m, f := e.Registry, e.Receiver
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t| %d\t%d\t%d\t%d\t%d\t%s\n", e.Name, m.Pending, m.Events, m.Successes, m.Failures, m.Errors,
			statuses(m.Statuses), f.Deliveries, f.Unique, f.Duplicates, f.Resets, f.Hangs, statuses(f.Statuses))
	}
	tw.Flush()
	replicas(w, s)
	fmt.Fprintln(w, "\nevents per endpoint (what the load owes against what the receiver accepted):")
	for _, e := range s.Endpoints {
		ev := e.Events
		fmt.Fprintf(w, "  %s: %d owed, %d delivered, %d lost, %d duplicates, %d unexpected, %d content mismatches\n",
			e.Name, ev.Owed, ev.Delivered, ev.Lost, ev.Duplicates, ev.Unexpected, ev.Mismatches)
	}

	// Every check in words, grouped by endpoint; chaos checks are the
	// timeline's outcome column above.
	fmt.Fprintln(w, "\nchecks (reconcile: the registry against what was observed; expect: against the scenario):")
	var groups []string
	byGroup := map[string][]verdict.Check{}
	for _, c := range s.Checks {
		if strings.HasPrefix(c.Name, "Chaos ") {
			continue
		}
		if _, ok := byGroup[c.Endpoint]; !ok {
			groups = append(groups, c.Endpoint)
		}
		byGroup[c.Endpoint] = append(byGroup[c.Endpoint], c)
	}
	for _, g := range groups {
		if g == "" {
			fmt.Fprintln(w, "  registry:")
		} else {
			fmt.Fprintf(w, "  endpoint %s:\n", g)
		}
		for _, c := range byGroup[g] {
			fmt.Fprintf(w, "    %-4s %s\n", mark(c), Explain(c))
		}
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, f := range s.Failures {
		c := verdict.Check{Name: f.Name, Endpoint: f.Endpoint, Kind: f.Kind, Registry: f.Registry, Observed: f.Observed, Note: f.Note}
		fmt.Fprintf(w, "FAIL %s\n", c)
	}
	if s.Verdict == VerdictInterrupted {
		fmt.Fprintln(w, "INTERRUPTED: partial run; the checks above describe the moment it stopped")
	}
}

func mark(c verdict.Check) string {
	if c.OK {
		return "ok"
	}
	return "FAIL"
}

// Explain says in words what a check compared and how it came out:
// "Errors: registry counted 17 attempts with no HTTP answer; the receiver
// saw 0 resets + 0 hangs + 0 timeouts; refused connections are invisible
// to the receiver, so registry >= receiver". A check that held although
// its two sides differ says what tolerated the difference.
func Explain(c verdict.Check) string {
	var what string
	name := c.Name
	n := func(s string) string { // the count of a side, its words aside
		if v, ok := count(s); ok {
			return strconv.Itoa(v)
		}
		return s
	}
	switch {
	case name == "Lost":
		what = fmt.Sprintf("the load's ledger has %s; the registry still holds %s (pending or dead-lettered)", c.Observed, c.Registry)
	case name == "Unexpected":
		what = fmt.Sprintf("the receiver's ledger has %s", c.Observed)
	case name == "Content":
		what = fmt.Sprintf("field by field, %s", c.Observed)
	case name == "Duplicates":
		what = fmt.Sprintf("the receiver accepted %s events a second time", c.Observed)
	case name == "Order":
		what = fmt.Sprintf("per repository, first acceptances against event timestamps: %s", c.Observed)
	case name == "Events":
		what = fmt.Sprintf("registry queued %s events; the load owes %s (accepted operations, ignore rules applied)", c.Registry, n(c.Observed))
	case name == "Pending":
		what = fmt.Sprintf("registry ends with %s events pending; the scenario expects %s", c.Registry, c.Observed)
	case name == "Successes":
		what = fmt.Sprintf("registry counted %s accepted attempts; the receiver sent %s", c.Registry, c.Observed)
	case name == "Failures":
		what = fmt.Sprintf("registry counted %s rejected attempts; the receiver sent %s", c.Registry, c.Observed)
	case strings.HasPrefix(name, "Statuses["):
		code := strings.TrimSuffix(strings.TrimPrefix(name, "Statuses["), "]")
		what = fmt.Sprintf("registry counted %s answers %q; the receiver sent %s", c.Registry, code, c.Observed)
	case name == "Errors":
		what = fmt.Sprintf("registry counted %s attempts with no HTTP answer; the receiver saw %s", c.Registry, c.Observed)
	case name == "Attempts":
		what = fmt.Sprintf("registry counted %s attempts (Successes+Failures+Errors); the receiver got %s requests", c.Registry, n(c.Observed))
	case strings.HasPrefix(name, "Prometheus "):
		what = fmt.Sprintf("/debug/vars says %s; /metrics says %s", c.Registry, n(c.Observed))
	case strings.HasPrefix(name, "Final "):
		what = fmt.Sprintf("registry's final %s is %s; the scenario expects %s", strings.TrimPrefix(name, "Final "), c.Registry, c.Observed)
	case name == "Monotonic":
		what = "counters (Events, Successes, Failures, Errors) never went down while the registry ran"
		if c.Registry != "-" {
			what = "counters must never go down while the registry runs; they " + c.Registry
		}
	case strings.HasPrefix(name, "Throughout "):
		what = "held on every sample"
		if c.Registry != "-" {
			what = "must hold on every sample; broken: " + c.Registry
		}
	case strings.HasPrefix(name, "At some point "):
		what = c.Registry + " on any sample"
	case c.Kind == verdict.KindExpect:
		what = fmt.Sprintf("registry: %s; expected %s", c.Registry, c.Observed)
	default:
		what = fmt.Sprintf("registry: %s; observed %s", c.Registry, c.Observed)
	}
	s := name + ": " + what
	if c.Note == "final Pending" || c.Note == "Successes+Failures+Errors" || strings.HasSuffix(c.Note, " samples") ||
		(c.OK && strings.HasPrefix(c.Note, "all: ")) || (name == "Monotonic") {
		return s // the words above say it already
	}
	switch {
	case c.OK && c.Note != "" && differ(c):
		s += " (tolerated: " + c.Note + ")"
	case c.Note != "":
		s += "; " + c.Note
	}
	return s
}

// differ reports whether both sides of a check are counts and differ
// (a duplicate count stands against zero).
func differ(c verdict.Check) bool {
	reg, ok1 := count(c.Registry)
	obs, ok2 := count(c.Observed)
	if c.Registry == "-" && c.Name == "Duplicates" {
		reg, ok1 = 0, true
	}
	return ok1 && ok2 && reg != obs
}

// count reads "17", "17 requests received", "0 resets + 1 hangs + 2
// timeouts" or "Pending=3+DeadLettered=2" as a number (their sum); text
// after a colon is samples, not counts.
func count(s string) (int, bool) {
	s, _, _ = strings.Cut(s, ":")
	total := 0
	for _, term := range strings.Split(s, "+") {
		term = strings.TrimSpace(term)
		if _, v, ok := strings.Cut(term, "="); ok {
			term = v
		}
		digits := term
		if i := strings.IndexFunc(term, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
			digits = term[:i]
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			return 0, false
		}
		total += n
	}
	return total, true
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func dur[D ~int64](x D) string { return d(time.Duration(x)) }

func d(x time.Duration) string { return roundFor(x).String() }

func codes(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func statuses(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		code, _, _ := strings.Cut(k, " ")
		parts = append(parts, fmt.Sprintf("%s:%d", code, m[k]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// clip keeps table cells narrow; the full text is in the error and JSON.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
