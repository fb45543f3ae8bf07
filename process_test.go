package hookbench_test

import (
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/process"
)

// Scenarios whose point is a real kill -9: our registry and the fakes as
// child processes (harness/process), so the disk queue is proven against
// SIGKILL, not an in-process shutdown. Label "process": `make test` runs it.
var _ = Describe("scenarios as processes (SIGKILL)", Label("process"), func() {
	var bins process.Binaries
	BeforeEach(func(ctx SpecContext) {
		if bins.Registry == "" {
			b, err := process.Build(ctx, ".", filepath.Join(os.TempDir(), "hookbench-suite-bin"), "registry", "fake-endpoint")
			Expect(err).NotTo(HaveOccurred())
			bins = b
		}
	})
	for _, name := range []string{"registry-sigkill-restart", "registry-sigkill-mid-delivery"} {
		It(name, func(ctx SpecContext) {
			sc, ok := catalog.Get(name)
			Expect(ok).To(BeTrue(), "scenario %s in the catalog", name)
			rt, err := process.New(bins)
			Expect(err).NotTo(HaveOccurred())
			res := RunScenario(ctx, "process", rt, sc, harness.RunOptions{})
			ExpectScenarioPassed(res)
			for _, e := range res.Reconciliation.Endpoints {
				Expect(e.Lost).To(BeEmpty(), "accepted events lost across kill -9 at %s", e.Name)
			}
		}, SpecTimeout(3*time.Minute))
	}
})
