package harness

import (
	"fmt"
	"sort"
	"strings"

	"github.com/onsi/gomega/types"
)

// Counters names expected endpoint counters: "Pending", "Events",
// "Successes", "Failures", "Errors", or "Statuses[<code> <text>]".
type Counters map[string]int

// HaveEndpointMetrics succeeds when the named endpoint's metrics in the
// actual value (*Vars, Vars, Sample, EndpointMetrics or
// map[string]EndpointMetrics) have exactly the given counters. Counters not
// named are not checked.
func HaveEndpointMetrics(endpoint string, want Counters) types.GomegaMatcher {
	return &metricsMatcher{endpoint: endpoint, want: want}
}

// HavePending is HaveEndpointMetrics(endpoint, Counters{"Pending": n}).
func HavePending(endpoint string, n int) types.GomegaMatcher {
	return HaveEndpointMetrics(endpoint, Counters{"Pending": n})
}

// HaveStatusCount checks Statuses["<code> <text>"] of the endpoint.
func HaveStatusCount(endpoint string, code, n int) types.GomegaMatcher {
	return HaveEndpointMetrics(endpoint, Counters{"Statuses[" + StatusKey(code) + "]": n})
}

type metricsMatcher struct {
	endpoint string
	want     Counters
	got      EndpointMetrics
	found    bool
}

func metricsOf(actual any, endpoint string) (EndpointMetrics, bool, error) {
	switch a := actual.(type) {
	case *Vars:
		if a == nil {
			return EndpointMetrics{}, false, fmt.Errorf("nil *Vars")
		}
		m, ok := a.Endpoint(endpoint)
		return m, ok, nil
	case Vars:
		m, ok := a.Endpoint(endpoint)
		return m, ok, nil
	case Sample:
		m, ok := a.Endpoints[endpoint]
		return m, ok, nil
	case *Sample:
		m, ok := a.Endpoints[endpoint]
		return m, ok, nil
	case map[string]EndpointMetrics:
		m, ok := a[endpoint]
		return m, ok, nil
	case EndpointMetrics:
		return a, true, nil
	}
	return EndpointMetrics{}, false, fmt.Errorf("HaveEndpointMetrics expects *Vars, Sample, EndpointMetrics or map[string]EndpointMetrics, got %T", actual)
}

// Counter returns a named counter of m.
func (m EndpointMetrics) Counter(name string) (int, error) {
	switch name {
	case "Pending":
		return m.Pending, nil
	case "Events":
		return m.Events, nil
	case "Successes":
		return m.Successes, nil
	case "Failures":
		return m.Failures, nil
	case "Errors":
		return m.Errors, nil
	case "DeadLettered":
		return m.DeadLettered, nil
	case "Retries":
		return m.Retries, nil
	case "Batches":
		return m.Batches, nil
	}
	if k, ok := strings.CutPrefix(name, "Statuses["); ok && strings.HasSuffix(k, "]") {
		return m.Statuses[strings.TrimSuffix(k, "]")], nil
	}
	return 0, fmt.Errorf("unknown counter %q (Pending, Events, Successes, Failures, Errors, DeadLettered, Retries, Batches, Statuses[<code> <text>])", name)
}

func (m EndpointMetrics) String() string {
	var st []string
	for k, v := range m.Statuses {
		st = append(st, fmt.Sprintf("%q: %d", k, v))
	}
	sort.Strings(st)
	return fmt.Sprintf("Pending=%d Events=%d Successes=%d Failures=%d Errors=%d Statuses={%s}",
		m.Pending, m.Events, m.Successes, m.Failures, m.Errors, strings.Join(st, ", "))
}

func (mm *metricsMatcher) Match(actual any) (bool, error) {
	m, ok, err := metricsOf(actual, mm.endpoint)
	if err != nil {
		return false, err
	}
	mm.got, mm.found = m, ok
	if !ok {
		return false, nil
	}
	for name, want := range mm.want {
		got, err := m.Counter(name)
		if err != nil {
			return false, err
		}
		if got != want {
			return false, nil
		}
	}
	return true, nil
}

func (mm *metricsMatcher) diff() string {
	var lines []string
	for _, name := range sortedCounterNames(mm.want) {
		got, _ := mm.got.Counter(name)
		mark := "  "
		if got != mm.want[name] {
			mark = "✗ "
		}
		lines = append(lines, fmt.Sprintf("  %s%s: registry reports %d, expected %d", mark, name, got, mm.want[name]))
	}
	return strings.Join(lines, "\n")
}

func (mm *metricsMatcher) FailureMessage(any) string {
	if !mm.found {
		return fmt.Sprintf("endpoint %q is not in registry.notifications.endpoints", mm.endpoint)
	}
	return fmt.Sprintf("endpoint %q metrics differ:\n%s\nall registry metrics: %s", mm.endpoint, mm.diff(), mm.got)
}

func (mm *metricsMatcher) NegatedFailureMessage(any) string {
	return fmt.Sprintf("endpoint %q metrics should not be:\n%s", mm.endpoint, mm.diff())
}

func sortedCounterNames(c Counters) []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// BeReconciled succeeds when a Reconciliation (or *Result) has no failed
// check; the failure message lists every disagreement with both sides.
func BeReconciled() types.GomegaMatcher { return &reconciledMatcher{} }

type reconciledMatcher struct{ err error }

func (rm *reconciledMatcher) Match(actual any) (bool, error) {
	switch a := actual.(type) {
	case Reconciliation:
		rm.err = a.Err()
	case *Reconciliation:
		rm.err = a.Err()
	case *Result:
		rm.err = a.Reconciliation.Err()
	default:
		return false, fmt.Errorf("BeReconciled expects a Reconciliation or *Result, got %T", actual)
	}
	return rm.err == nil, nil
}

func (rm *reconciledMatcher) FailureMessage(any) string { return rm.err.Error() }
func (rm *reconciledMatcher) NegatedFailureMessage(any) string {
	return "expected a disagreement between the registry and observation, found none"
}

// FailCheck succeeds when the Reconciliation (or *Result) has a failed check
// whose name starts with name (e.g. "Pending", "Successes", "Lost").
func FailCheck(name string) types.GomegaMatcher { return &failCheckMatcher{name: name} }

type failCheckMatcher struct {
	name   string
	failed []string
}

func (fm *failCheckMatcher) Match(actual any) (bool, error) {
	var r Reconciliation
	switch a := actual.(type) {
	case Reconciliation:
		r = a
	case *Result:
		r = a.Reconciliation
	default:
		return false, fmt.Errorf("FailCheck expects a Reconciliation or *Result, got %T", actual)
	}
	fm.failed = nil
	hit := false
	for _, e := range r.Endpoints {
		for _, c := range e.Failed() {
			fm.failed = append(fm.failed, c.Name)
			if strings.HasPrefix(c.Name, fm.name) {
				hit = true
			}
		}
	}
	return hit, nil
}

func (fm *failCheckMatcher) FailureMessage(any) string {
	return fmt.Sprintf("expected check %q to fail; failed checks: %v", fm.name, fm.failed)
}

func (fm *failCheckMatcher) NegatedFailureMessage(any) string {
	return fmt.Sprintf("expected check %q to hold; failed checks: %v", fm.name, fm.failed)
}
