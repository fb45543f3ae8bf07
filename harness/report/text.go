// Package report renders a harness.Result: live progress, a text table,
// JSON, and a self-contained HTML page with inline SVG plots.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookbench/hookbench/harness"
)

// Text writes the final table: load figures, then per endpoint the
// registry's counters beside the receiver's, then every check.
func Text(w io.Writer, r *harness.Result) {
	verdict := "PASS"
	if r.Err() != nil {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "scenario %s (%s runtime): %s in %s (load %s, drain %s)\n", r.Scenario, r.Runtime, verdict,
		r.Duration.Round(time.Millisecond), r.LoadDuration.Round(time.Millisecond), r.DrainDuration.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "load\trequests\trate/s\tsuccess\tp50\tp95\tp99\tmax\tcodes")
	for _, l := range r.Load {
		m := l.Metrics
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f%%\t%s\t%s\t%s\t%s\t%s\n", l.Profile.Op, m.Requests, m.Rate, m.Success*100,
			d(m.Latencies.P50), d(m.Latencies.P95), d(m.Latencies.P99), d(m.Latencies.Max), codes(m.StatusCodes))
	}
	tw.Flush()
	fmt.Fprintf(w, "accepted operations (ledger): %d\n", len(r.Ledger))
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "endpoint\tPending\tEvents\tSuccesses\tFailures\tErrors\tStatuses\t| receiver: requests\tunique\tdup\tresets\thangs\tstatuses")
	for _, name := range r.Endpoints {
		m, f := r.Final[name], r.Fakes[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t| %d\t%d\t%d\t%d\t%d\t%s\n", name, m.Pending, m.Events, m.Successes, m.Failures, m.Errors,
			statuses(m.Statuses), f.Deliveries, f.Unique, f.Duplicates, f.Resets, f.Hangs, statuses(f.Statuses))
	}
	tw.Flush()
	replicas(w, r)
	// One table of every check: reconciliation (registry against what was
	// observed), then expectations (registry against the scenario).
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "endpoint\tcheck\tregistry\tobserved / expected\tok")
	for _, c := range r.Verdict.Checks {
		ok := "ok"
		if !c.OK {
			ok = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", orDash(c.Endpoint), c.Name, clip(c.Registry, 70), clip(c.Observed, 70), ok)
	}
	tw.Flush()
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, c := range r.Verdict.Failed() {
		fmt.Fprintf(w, "FAIL %s\n", c)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func d(x time.Duration) string {
	switch {
	case x >= time.Second:
		return x.Round(time.Millisecond).String()
	case x >= time.Millisecond:
		return x.Round(10 * time.Microsecond).String()
	}
	return x.Round(time.Microsecond).String()
}

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

// WriteJSON writes r as dir/report.json.
func WriteJSON(dir string, r *harness.Result) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(dir, "report.json")
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", " ")
	if err := enc.Encode(r); err != nil {
		f.Close()
		return "", err
	}
	return p, f.Close()
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(path string) (*harness.Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r harness.Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: not a harness report: %w", path, err)
	}
	return &r, nil
}

// WriteAll writes report.json, report.html and report.txt into dir.
func WriteAll(dir string, r *harness.Result) error {
	if _, err := WriteJSON(dir, r); err != nil {
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

// clip keeps table cells narrow; the full text is in the error and JSON.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
