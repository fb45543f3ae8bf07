// Package process holds the scenario specs whose point is a real kill -9
// (label "process"): our registry and the fakes as child processes
// (harness/runtime/process), so the disk queue is proven against SIGKILL,
// not an in-process shutdown. `make test` runs it.
package process_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime/process"
	"github.com/hookbench/hookbench/scenarios"
	ht "github.com/hookbench/hookbench/tests/harnesstest"
)

func TestProcess(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "hookbench process (SIGKILL)")
}

var _ = Describe("scenarios as processes (SIGKILL)", Label("process"), func() {
	var bins process.Binaries
	BeforeEach(func(ctx SpecContext) {
		if bins.Registry == "" {
			b, err := process.Build(ctx, ht.RepoRoot(), filepath.Join(os.TempDir(), "hookbench-suite-bin"), "registry", "fake-endpoint")
			Expect(err).NotTo(HaveOccurred())
			bins = b
		}
	})
	kill9 := scenarios.MustCatalog().Select(func(s model.Scenario) bool {
		return s.HasLabel(scenarios.LabelKill9) && s.RunsOn("process")
	})
	for _, sc := range kill9 {
		It(sc.Name, func(ctx SpecContext) {
			rt, err := process.New(bins)
			Expect(err).NotTo(HaveOccurred())
			res := ht.RunScenario(ctx, "process", rt, sc, harness.RunOptions{})
			ht.ExpectPassed(res)
			for _, e := range res.Reconciliation.Endpoints {
				Expect(e.Lost).To(BeEmpty(), "accepted events lost across kill -9 at %s", e.Name)
			}
		}, SpecTimeout(3*time.Minute))
	}
})
