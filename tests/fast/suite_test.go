// Package fast holds the in-process scenario specs (label "fast"): every
// scenario meant for the in-process runtime, live matchers on /debug/vars,
// and the self-test. `make test` runs it.
package fast_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/inprocess"
	"github.com/hookbench/hookbench/load"
	"github.com/hookbench/hookbench/notifications"
	"github.com/hookbench/hookbench/scenarios"
	ht "github.com/hookbench/hookbench/tests/harnesstest"
)

func TestFast(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "hookbench fast (in-process)")
}

// catalog is built once; scenarios are values, runs never share state.
var catalog = scenarios.MustCatalog()

func newInProcess() runtime.Runtime {
	rt, err := inprocess.New()
	Expect(err).NotTo(HaveOccurred())
	return rt
}

var _ = Describe("scenarios in-process", Label("fast"), func() {
	for _, sc := range catalog.Select(func(s model.Scenario) bool { return s.RunsOn("inprocess") }) {
		It(fmt.Sprintf("%s: %s", sc.Name, sc.Description), func(ctx SpecContext) {
			res := ht.RunScenario(ctx, "fast", newInProcess(), sc, harness.RunOptions{})
			ht.ExpectPassed(res)
		}, SpecTimeout(2*time.Minute))
	}
})

// The matchers used live: a receiver outage seen through /debug/vars while
// it happens, not only in the final reconciliation.
var _ = Describe("live /debug/vars during an outage", Label("fast"), func() {
	It("holds every event in Pending while the receiver is down and drains it after", func(ctx SpecContext) {
		rt, err := inprocess.New()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(rt.Close(context.Background())).To(Succeed()) })
		ep, err := rt.NewEndpoint(ctx, runtime.EndpointSpec{Name: "sink"})
		Expect(err).NotTo(HaveOccurred())
		tmpl, err := model.ConfigTemplateFor(model.RegistryFragment{}, []model.EndpointDef{{Name: "sink"}}, map[string]string{"sink": ep.RegistryURL})
		Expect(err).NotTo(HaveOccurred())
		reg, err := rt.StartRegistry(ctx, runtime.RegistrySpec{ConfigTemplate: tmpl})
		Expect(err).NotTo(HaveOccurred())
		vars := func(g Gomega) *observe.Vars {
			v, err := observe.FetchVars(ctx, nil, reg.DebugURL)
			g.Expect(err).NotTo(HaveOccurred())
			return v
		}

		Expect(rt.StopEndpoint(ctx, "sink")).To(Succeed())
		ledger := &load.Ledger{}
		_, err = load.Run(ctx, load.Target{URL: reg.URL, SingleRequestUpload: reg.SingleRequestUpload},
			load.Profile{Op: load.OpBlobPush, Count: 5, Pacing: load.Pacing{Rate: 100}}, ledger, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(ledger.Len()).To(Equal(5))
		Eventually(vars).Should(ht.HaveEndpointMetrics("sink", model.Counters{"Events": 5, "Pending": 5, "Successes": 0}))
		Eventually(vars).Should(Not(ht.HaveEndpointMetrics("sink", model.Counters{"Errors": 0})))
		Consistently(vars, "300ms").Should(ht.HavePending("sink", 5))

		Expect(rt.StartEndpoint(ctx, "sink")).To(Succeed())
		Eventually(vars).WithTimeout(5 * time.Second).Should(And(
			ht.HavePending("sink", 0),
			ht.HaveEndpointMetrics("sink", model.Counters{"Successes": 5, "Failures": 0}),
			ht.HaveStatusCount("sink", 200, 5),
		))
	}, SpecTimeout(time.Minute))
})

// The harness must catch a broken pipeline: each test-only fault hook of
// our notifier makes a scenario fail with a message naming the counter.
var _ = Describe("self-test: the harness catches a broken pipeline", Label("fast"), func() {
	cases := []struct {
		fault  notifications.Faults
		label  string   // the scenarios that must catch it
		checks []string // the check(s) that may name the broken counter
	}{
		// A dropped event is either never counted (Events) or counted and
		// never delivered (Lost), depending on where the pipeline drops it.
		{notifications.Faults{DropOneIn: 5}, scenarios.LabelCatchesDroppedEvents, []string{"Lost", "Events"}},
		{notifications.Faults{ForgetPendingDecrement: true}, scenarios.LabelCatchesForgottenPending, []string{"Pending"}},
		{notifications.Faults{CountFailureAsSuccess: true}, scenarios.LabelCatchesFailureAsSuccess, []string{"Successes"}},
	}
	for _, c := range cases {
		for _, sc := range catalog.Select(func(s model.Scenario) bool { return s.HasLabel(c.label) && s.RunsOn("inprocess") }) {
			It(fmt.Sprintf("%+v fails %s naming %v", c.fault, sc.Name, c.checks), func(ctx SpecContext) {
				res := ht.RunScenario(ctx, "selftest", newInProcess(), sc, harness.RunOptions{Faults: c.fault, DrainTimeout: 3 * time.Second})
				Expect(res).NotTo(ht.BeReconciled())
				var named []types.GomegaMatcher
				for _, ch := range c.checks {
					named = append(named, ht.FailCheck(ch))
				}
				Expect(res).To(Or(named...))
				GinkgoWriter.Printf("caught as expected:\n%v\n", res.Err())
			}, SpecTimeout(time.Minute))
		}
	}
})
