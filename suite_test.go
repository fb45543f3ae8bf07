package hookbench_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/inprocess"
	"github.com/hookbench/hookbench/harness/load"
	"github.com/hookbench/hookbench/harness/process"
	"github.com/hookbench/hookbench/harness/report"
	"github.com/hookbench/hookbench/scenarios"
)

// TestHookbench is the suite's only entry point; specs are labelled "fast"
// (in-process) here and "e2e" (containers) in e2e_test.go.
func TestHookbench(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "hookbench")
}

// catalog is built once; scenarios are values, runs never share state.
var catalog = scenarios.MustCatalog()

// inCI: with CI=true no spec may skip; a missing capability fails instead.
var inCI = os.Getenv("CI") == "true"

// SkipOrFail skips a spec with reason, except in CI where it fails.
func SkipOrFail(reason string) {
	if inCI {
		Fail("CI=true: refusing to skip: " + reason)
	}
	Skip(reason)
}

// outDir is where failing specs leave their reports.
func outDir(kind, name string) string {
	base := os.Getenv("HOOKBENCH_OUT")
	if base == "" {
		base = "out"
	}
	return filepath.Join(base, kind, name)
}

// RunScenario runs sc on rt and returns the result; the runtime is closed
// when the spec ends. On failure the JSON, text and HTML reports (and the
// runtime's logs, when it can save them) go to out/<kind>/<scenario>.
// A scenario needing what rt cannot do skips (fails in CI).
func RunScenario(ctx context.Context, kind string, rt harness.Runtime, sc harness.Scenario, o harness.RunOptions) *harness.Result {
	DeferCleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		Expect(rt.Close(cctx)).To(Succeed())
	})
	o.Logf = func(format string, args ...any) { GinkgoWriter.Printf(format+"\n", args...) }
	res, err := harness.Run(ctx, rt, sc, o)
	var missing *harness.MissingError
	if errors.As(err, &missing) {
		SkipOrFail(missing.Error())
	}
	Expect(err).NotTo(HaveOccurred(), "scenario %s could not run", sc.Name)
	DeferCleanup(func(sctx SpecContext) {
		if !CurrentSpecReport().Failed() {
			return
		}
		dir := outDir(kind, sc.Name)
		if werr := report.WriteAll(dir, res); werr != nil {
			GinkgoWriter.Printf("writing report: %v\n", werr)
		}
		if ls, ok := rt.(harness.LogSaver); ok {
			_ = ls.SaveLogs(sctx, filepath.Join(dir, "logs"))
		}
		GinkgoWriter.Printf("reports in %s\n", dir)
	})
	var table strings.Builder
	report.Text(&table, res)
	GinkgoWriter.Println(table.String())
	return res
}

// ExpectScenarioPassed asserts reconciliation and every expectation.
func ExpectScenarioPassed(res *harness.Result) {
	Expect(res).To(harness.BeReconciled())
	Expect(res.Violations).To(BeEmpty(), "expectations of scenario %s", res.Scenario)
}

func newInProcess() harness.Runtime {
	rt, err := inprocess.New()
	Expect(err).NotTo(HaveOccurred())
	return rt
}

var _ = Describe("scenarios in-process", Label("fast"), func() {
	for _, sc := range catalog.All() {
		It(fmt.Sprintf("%s: %s", sc.Name, sc.Description), func(ctx SpecContext) {
			res := RunScenario(ctx, "fast", newInProcess(), sc, harness.RunOptions{})
			ExpectScenarioPassed(res)
		}, SpecTimeout(2*time.Minute))
	}
})

// The matchers used live: a receiver outage seen through /debug/vars while
// it happens, not only in the final reconciliation.
var _ = Describe("live /debug/vars during an outage", Label("fast"), func() {
	It("holds every event in Pending while the receiver is down and drains it after", func(ctx SpecContext) {
		rt := newInProcess()
		DeferCleanup(func() { Expect(rt.Close(context.Background())).To(Succeed()) })
		ep, err := rt.NewEndpoint(ctx, harness.EndpointSpec{Name: "sink"})
		Expect(err).NotTo(HaveOccurred())
		sc := harness.Scenario{Name: "live", Endpoints: []harness.EndpointDef{{Name: "sink"}}}
		tmpl, err := sc.ConfigTemplate(map[string]string{"sink": ep.RegistryURL})
		Expect(err).NotTo(HaveOccurred())
		reg, err := rt.StartRegistry(ctx, harness.RegistrySpec{ConfigTemplate: tmpl})
		Expect(err).NotTo(HaveOccurred())
		vars := func(g Gomega) *harness.Vars {
			v, err := harness.FetchVars(ctx, nil, reg.DebugURL)
			g.Expect(err).NotTo(HaveOccurred())
			return v
		}

		Expect(rt.StopEndpoint(ctx, "sink")).To(Succeed())
		ledger := &load.Ledger{}
		_, err = load.Run(ctx, load.Target{URL: reg.URL, SingleRequestUpload: reg.SingleRequestUpload},
			load.Profile{Op: load.OpBlobPush, Count: 5, Pacing: load.Pacing{Rate: 100}}, ledger, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(ledger.Len()).To(Equal(5))
		Eventually(vars).Should(harness.HaveEndpointMetrics("sink", harness.Counters{"Events": 5, "Pending": 5, "Successes": 0}))
		Eventually(vars).Should(Not(harness.HaveEndpointMetrics("sink", harness.Counters{"Errors": 0})))
		Consistently(vars, "300ms").Should(harness.HavePending("sink", 5))

		Expect(rt.StartEndpoint(ctx, "sink")).To(Succeed())
		Eventually(vars).WithTimeout(5 * time.Second).Should(And(
			harness.HavePending("sink", 0),
			harness.HaveEndpointMetrics("sink", harness.Counters{"Successes": 5, "Failures": 0}),
			harness.HaveStatusCount("sink", 200, 5),
		))
	}, SpecTimeout(time.Minute))
})

// Against another registry: HOOKBENCH_DISTRIBUTION names a CNCF Distribution
// v3 binary, run as a child process beside fake-endpoint processes. Scenarios
// needing our extensions skip with the capability they lack.
var _ = Describe("scenarios against CNCF Distribution", Label("distribution"), func() {
	bin := os.Getenv("HOOKBENCH_DISTRIBUTION")
	if bin == "" {
		return // no specs: nothing to skip in CI
	}
	var bins process.Binaries
	BeforeEach(func(ctx SpecContext) {
		if bins.FakeEndpoint == "" {
			b, err := process.Build(ctx, ".", filepath.Join(os.TempDir(), "hookbench-suite-bin"), "fake-endpoint")
			Expect(err).NotTo(HaveOccurred())
			bins = b
		}
	})
	for _, sc := range catalog.All() {
		It(sc.Name, func(ctx SpecContext) {
			rt, err := process.New(bins)
			Expect(err).NotTo(HaveOccurred())
			res := RunScenario(ctx, "distribution", rt, sc, harness.RunOptions{Binary: &harness.BinaryRegistry{Path: bin}})
			ExpectScenarioPassed(res)
		}, SpecTimeout(2*time.Minute))
	}
})

// The harness must catch a broken pipeline: each test-only fault hook of
// our notifier makes a scenario fail with a message naming the counter.
var _ = Describe("self-test: the harness catches a broken pipeline", Label("fast"), func() {
	cases := []struct {
		fault    harness.Faults
		scenario string
		checks   []string // the check(s) that may name the broken counter
	}{
		// A dropped event is either never counted (Events) or counted and
		// never delivered (Lost), depending on where the pipeline drops it.
		{harness.Faults{DropOneIn: 5}, "smoke", []string{"Lost", "Events"}},
		{harness.Faults{ForgetPendingDecrement: true}, "smoke", []string{"Pending"}},
		{harness.Faults{CountFailureAsSuccess: true}, "client-errors-4xx", []string{"Successes"}},
	}
	for _, c := range cases {
		It(fmt.Sprintf("%+v fails %s naming %v", c.fault, c.scenario, c.checks), func(ctx SpecContext) {
			sc, ok := catalog.Get(c.scenario)
			Expect(ok).To(BeTrue())
			res := RunScenario(ctx, "selftest", newInProcess(), sc, harness.RunOptions{Faults: c.fault, DrainTimeout: 3 * time.Second})
			Expect(res).NotTo(harness.BeReconciled())
			var named []types.GomegaMatcher
			for _, ch := range c.checks {
				named = append(named, harness.FailCheck(ch))
			}
			Expect(res).To(Or(named...))
			GinkgoWriter.Printf("caught as expected:\n%v\n", res.Err())
		}, SpecTimeout(time.Minute))
	}
})
