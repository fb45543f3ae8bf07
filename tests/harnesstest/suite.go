package harnesstest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/report"
	"github.com/hookbench/hookbench/harness/runtime"
)

// RepoRoot is the module's root directory (where go.mod is), found from
// the working directory: suites in tests/<label> build binaries and write
// reports relative to it.
func RepoRoot() string {
	dir, err := os.Getwd()
	Expect(err).NotTo(HaveOccurred())
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		Expect(parent).NotTo(Equal(dir), "go.mod not found above the working directory")
		dir = parent
	}
}

// OutDir is where failing specs leave their reports: $HOOKBENCH_OUT (or
// out/ in the repository) / kind / name.
func OutDir(kind, name string) string {
	base := os.Getenv("HOOKBENCH_OUT")
	if base == "" {
		base = filepath.Join(RepoRoot(), "out")
	}
	return filepath.Join(base, kind, name)
}

// SkipOrFail skips a spec with reason, except with CI=true where it fails:
// in CI no spec may skip.
func SkipOrFail(reason string) {
	if os.Getenv("CI") == "true" {
		Fail("CI=true: refusing to skip: " + reason)
	}
	Skip(reason)
}

// Logf writes to the spec's output.
func Logf(format string, args ...any) { GinkgoWriter.Printf(format+"\n", args...) }

// RunScenario runs sc on rt and returns the result; the runtime is closed
// when the spec ends. On failure the JSON, text and HTML reports (and the
// runtime's logs, when it can save them) go to OutDir(kind, sc.Name). A
// scenario needing what rt cannot do skips (fails in CI).
func RunScenario(ctx context.Context, kind string, rt runtime.Runtime, sc model.Scenario, o harness.RunOptions) *harness.Result {
	DeferCleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		Expect(rt.Close(cctx)).To(Succeed())
	})
	o.Logf = Logf
	var res *harness.Result
	// Registered before the run, so that a run that could not even start
	// (a container that exited) still leaves the runtime's logs.
	DeferCleanup(func(sctx SpecContext) {
		if !CurrentSpecReport().Failed() {
			return
		}
		dir := OutDir(kind, sc.Name)
		if res != nil {
			if werr := report.WriteAll(dir, res); werr != nil {
				GinkgoWriter.Printf("writing report: %v\n", werr)
			}
		}
		if ls, ok := rt.(runtime.LogSaver); ok {
			if lerr := ls.SaveLogs(sctx, filepath.Join(dir, "logs")); lerr != nil {
				GinkgoWriter.Printf("saving logs: %v\n", lerr)
			}
		}
		GinkgoWriter.Printf("reports in %s\n", dir)
	}, NodeTimeout(time.Minute))
	res, err := harness.Run(ctx, rt, sc, o)
	var missing *harness.MissingError
	if errors.As(err, &missing) {
		SkipOrFail(missing.Error())
	}
	Expect(err).NotTo(HaveOccurred(), "scenario %s could not run", sc.Name)
	var table strings.Builder
	report.Text(&table, res)
	GinkgoWriter.Println(table.String())
	return res
}

// ExpectPassed asserts the verdict: reconciliation and every expectation.
func ExpectPassed(res *harness.Result) {
	Expect(res).To(BeReconciled())
	Expect(res).To(Pass(), "expectations of scenario %s", res.Scenario)
}

// ExpectOutage: Errors rose during the fault, Pending drained to 0 after,
// nothing lost at ep.
func ExpectOutage(res *harness.Result, ep string) {
	maxErrors, maxPending := 0, 0
	for _, s := range res.Samples {
		m := s.Endpoints[ep]
		maxErrors, maxPending = max(maxErrors, m.Errors), max(maxPending, m.Pending)
	}
	GinkgoWriter.Printf("%s: Errors rose to %d, Pending peaked at %d, final %s\n", res.Scenario, maxErrors, maxPending, res.Final[ep])
	Expect(maxErrors).To(BeNumerically(">", 0), "Errors during the fault")
	Expect(res.Final[ep].Pending).To(Equal(0), "Pending after the fault")
	for _, e := range res.Reconciliation.Endpoints {
		if e.Name == ep {
			Expect(e.Lost).To(BeEmpty(), "lost events")
		}
	}
}
