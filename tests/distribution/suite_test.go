// Package distribution runs the catalog against another registry:
// HOOKBENCH_DISTRIBUTION names a CNCF Distribution v3 binary, run as a
// child process beside fake-endpoint processes. Scenarios needing our
// extensions skip with the capability they lack (fail with CI=true).
// Without the variable there are no specs.
package distribution_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/process"
	"github.com/hookbench/hookbench/scenarios"
	ht "github.com/hookbench/hookbench/tests/harnesstest"
)

func TestDistribution(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "hookbench against CNCF Distribution")
}

var _ = Describe("scenarios against CNCF Distribution", Label("distribution"), func() {
	bin := os.Getenv("HOOKBENCH_DISTRIBUTION")
	if bin == "" {
		return // no specs: nothing to skip in CI
	}
	var bins process.Binaries
	BeforeEach(func(ctx SpecContext) {
		if bins.FakeEndpoint == "" {
			b, err := process.Build(ctx, ht.RepoRoot(), filepath.Join(os.TempDir(), "hookbench-suite-bin"), "fake-endpoint")
			Expect(err).NotTo(HaveOccurred())
			bins = b
		}
	})
	for _, sc := range scenarios.MustCatalog().Select(func(s model.Scenario) bool { return s.RunsOn("process") }) {
		It(sc.Name, func(ctx SpecContext) {
			rt, err := process.New(bins)
			Expect(err).NotTo(HaveOccurred())
			res := ht.RunScenario(ctx, "distribution", rt, sc, harness.RunOptions{Binary: &runtime.BinaryRegistry{Path: bin, NoTagQuery: true}})
			ht.ExpectPassed(res)
		}, SpecTimeout(2*time.Minute))
	}
})
