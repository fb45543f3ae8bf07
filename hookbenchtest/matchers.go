// Package hookbenchtest holds Gomega matchers on hookbench's observations
// and verdicts, for test code only (the harness binary never imports it):
//
//	inst, err := hookbench.Run(ctx, hookbench.WithScenario("smoke"))
//	Expect(err).NotTo(HaveOccurred())
//	Expect(inst).To(hookbenchtest.BeReconciled())
//	Expect(inst).To(hookbenchtest.Pass())
//	Expect(inst).To(hookbenchtest.HavePending("sink", 0))
//
// Every matcher's failure message shows both sides: what the registry
// reported and what was observed or expected.
package hookbenchtest

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/onsi/gomega/types"

	"github.com/hookbench/hookbench"
	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/verdict"
)

// HaveEndpointMetrics succeeds when the named endpoint's metrics in the
// actual value (*hookbench.Instance or *harness.Result: the final
// counters; *Vars, Vars, Sample, EndpointMetrics or
// map[string]EndpointMetrics) have exactly the given counters. Counters not
// named are not checked.
func HaveEndpointMetrics(name string, want model.Counters) types.GomegaMatcher {
	return &metricsMatcher{endpoint: name, want: want}
}

// HavePending is HaveEndpointMetrics(name, model.Counters{"Pending": n}).
func HavePending(name string, n int) types.GomegaMatcher {
	return HaveEndpointMetrics(name, model.Counters{"Pending": n})
}

// HaveStatusCount checks Statuses["<code> <text>"] of the endpoint.
func HaveStatusCount(name string, code, n int) types.GomegaMatcher {
	return HaveEndpointMetrics(name, model.Counters{"Statuses[" + endpoint.StatusKey(code) + "]": n})
}

type metricsMatcher struct {
	endpoint string
	want     model.Counters
	got      endpoint.EndpointMetrics
	found    bool
}

func metricsOf(actual any, name string) (endpoint.EndpointMetrics, bool, error) {
	switch a := actual.(type) {
	case *hookbench.Instance:
		if a == nil || a.Result() == nil {
			return endpoint.EndpointMetrics{}, false, fmt.Errorf("nil *hookbench.Instance or no result")
		}
		m, ok := a.Result().Final[name]
		return m, ok, nil
	case *harness.Result:
		if a == nil {
			return endpoint.EndpointMetrics{}, false, fmt.Errorf("nil *harness.Result")
		}
		m, ok := a.Final[name]
		return m, ok, nil
	case *observe.Vars:
		if a == nil {
			return endpoint.EndpointMetrics{}, false, fmt.Errorf("nil *Vars")
		}
		m, ok := a.Endpoint(name)
		return m, ok, nil
	case observe.Vars:
		m, ok := a.Endpoint(name)
		return m, ok, nil
	case observe.Sample:
		m, ok := a.Endpoints[name]
		return m, ok, nil
	case *observe.Sample:
		m, ok := a.Endpoints[name]
		return m, ok, nil
	case map[string]endpoint.EndpointMetrics:
		m, ok := a[name]
		return m, ok, nil
	case endpoint.EndpointMetrics:
		return a, true, nil
	}
	return endpoint.EndpointMetrics{}, false, fmt.Errorf("HaveEndpointMetrics expects *hookbench.Instance, *harness.Result, *Vars, Sample, EndpointMetrics or map[string]EndpointMetrics, got %T", actual)
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
	for _, name := range slices.Sorted(maps.Keys(mm.want)) {
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

// verdictOf reads the verdict of a *hookbench.Instance, a *harness.Result
// or a verdict.Verdict.
func verdictOf(matcher string, actual any) (verdict.Verdict, error) {
	switch a := actual.(type) {
	case *hookbench.Instance:
		if a == nil || a.Result() == nil {
			return verdict.Verdict{}, fmt.Errorf("%s: nil *hookbench.Instance or no result", matcher)
		}
		return a.Result().Verdict, nil
	case *harness.Result:
		if a == nil {
			return verdict.Verdict{}, fmt.Errorf("%s: nil *harness.Result", matcher)
		}
		return a.Verdict, nil
	case verdict.Verdict:
		return a, nil
	}
	return verdict.Verdict{}, fmt.Errorf("%s expects a *hookbench.Instance, *harness.Result or verdict.Verdict, got %T", matcher, actual)
}

// BeReconciled succeeds when no reconciliation check failed (the registry
// agrees with independent observation); the failure message lists every
// disagreement with both sides.
func BeReconciled() types.GomegaMatcher {
	return &verdictMatcher{name: "BeReconciled", kinds: []string{verdict.KindReconcile}}
}

// Pass succeeds when every check of the verdict held: reconciliation and
// the scenario's expectations.
func Pass() types.GomegaMatcher { return &verdictMatcher{name: "Pass"} }

type verdictMatcher struct {
	name   string
	kinds  []string
	failed []verdict.Check
}

func (vm *verdictMatcher) Match(actual any) (bool, error) {
	v, err := verdictOf(vm.name, actual)
	if err != nil {
		return false, err
	}
	vm.failed = v.Failed(vm.kinds...)
	return len(vm.failed) == 0, nil
}

func (vm *verdictMatcher) FailureMessage(any) string {
	lines := make([]string, len(vm.failed))
	for i, c := range vm.failed {
		lines[i] = c.String()
	}
	return "failed checks:\n  " + strings.Join(lines, "\n  ")
}

func (vm *verdictMatcher) NegatedFailureMessage(any) string {
	return "expected a failed check (a disagreement between the registry and observation or expectation), found none"
}

// FailCheck succeeds when the verdict has a failed check whose name
// starts with name (e.g. "Pending", "Successes", "Lost").
func FailCheck(name string) types.GomegaMatcher { return &failCheckMatcher{name: name} }

type failCheckMatcher struct {
	name   string
	failed []string
}

func (fm *failCheckMatcher) Match(actual any) (bool, error) {
	v, err := verdictOf("FailCheck", actual)
	if err != nil {
		return false, err
	}
	fm.failed = nil
	hit := false
	for _, c := range v.Failed() {
		fm.failed = append(fm.failed, c.Name)
		hit = hit || strings.HasPrefix(c.Name, fm.name)
	}
	return hit, nil
}

func (fm *failCheckMatcher) FailureMessage(any) string {
	return fmt.Sprintf("expected check %q to fail; failed checks: %v", fm.name, fm.failed)
}

func (fm *failCheckMatcher) NegatedFailureMessage(any) string {
	return fmt.Sprintf("expected check %q to hold; failed checks: %v", fm.name, fm.failed)
}
