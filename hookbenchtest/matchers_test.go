package hookbenchtest

import (
	"strings"
	"testing"

	"github.com/onsi/gomega"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/verdict"
)

func TestMetricsMatchersShowBothSides(t *testing.T) {
	g := gomega.NewWithT(t)
	s := observe.Sample{Endpoints: map[string]endpoint.EndpointMetrics{"sink": {Pending: 2, Events: 5, Successes: 3, Statuses: map[string]int{"500 Internal Server Error": 4}}}}
	g.Expect(s).To(HavePending("sink", 2))
	g.Expect(s).To(HaveStatusCount("sink", 500, 4))
	g.Expect(s).To(HaveEndpointMetrics("sink", model.Counters{"Events": 5, "Successes": 3}))

	m := HaveEndpointMetrics("sink", model.Counters{"Pending": 0, "Events": 5})
	ok, err := m.Match(s)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(ok).To(gomega.BeFalse())
	msg := m.FailureMessage(s)
	for _, want := range []string{"✗ Pending: registry reports 2, expected 0", "Events: registry reports 5, expected 5", "Statuses={\"500 Internal Server Error\": 4}"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if ok, _ := HavePending("other", 0).Match(s); ok {
		t.Error("matched a missing endpoint")
	}
	if _, err := HaveEndpointMetrics("sink", model.Counters{"Nope": 1}).Match(s); err == nil {
		t.Error("unknown counter accepted")
	}
}

func TestReconciledMatchers(t *testing.T) {
	g := gomega.NewWithT(t)
	bad := verdict.Verdict{Checks: []verdict.Check{{Endpoint: "sink", Kind: verdict.KindReconcile, Name: "Pending", Registry: "3", Observed: "0", OK: false}}}
	expectOnly := verdict.Verdict{Checks: []verdict.Check{{Endpoint: "sink", Kind: verdict.KindExpect, Name: "Final Pending", Registry: "3", Observed: "0"}}}
	g.Expect(verdict.Verdict{}).To(BeReconciled())
	g.Expect(verdict.Verdict{}).To(Pass())
	g.Expect(expectOnly).To(BeReconciled())
	g.Expect(expectOnly).NotTo(Pass())
	g.Expect(bad).NotTo(BeReconciled())
	g.Expect(bad).To(FailCheck("Pending"))
	g.Expect(bad).NotTo(FailCheck("Successes"))
	m := BeReconciled()
	_, _ = m.Match(bad)
	if msg := m.FailureMessage(bad); !strings.Contains(msg, "endpoint sink: Pending: registry 3, observed 0") {
		t.Errorf("message: %s", msg)
	}
}
