package e2e_test

import (
	"maps"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime/docker"
	"github.com/hookbench/hookbench/load"
	"github.com/hookbench/hookbench/scenarios"
	ht "github.com/hookbench/hookbench/tests/harnesstest"
)

// withDeclared is sc on a registry with t's declared differences: every
// endpoint's final Events, Successes and Statuses[200 OK] are what the
// load owes on t (load.Profile.ExpectedOn), recomputed from the same
// declaration the load uses, never loosened. Reconciliation against the
// ledger stays exact.
func withDeclared(sc model.Scenario, t load.Target) model.Scenario {
	owed := 0
	for _, p := range sc.Load {
		owed += p.ExpectedOn(t)
	}
	final := map[string]model.Counters{}
	for ep, c := range sc.Expect.Final {
		c = maps.Clone(c)
		for _, k := range []string{"Events", "Successes", "Statuses[200 OK]"} {
			if _, ok := c[k]; ok {
				c[k] = owed
			}
		}
		final[ep] = c
	}
	sc.Expect.Final = final
	return sc
}

// Not Ordered and no docker.Cleanup: this spec may run beside other
// sessions' containers and removes only what it made.
var _ = Describe("CNCF Distribution as a registry image", Label("e2e"), func() {
	It("passes smoke with Distribution's declared differences (no single-request upload, ?tag= ignored)", func(ctx SpecContext) {
		if err := docker.Ping(ctx); err != nil {
			ht.SkipOrFail(err.Error())
		}
		images, err := docker.BuildImages(ctx, ht.RepoRoot())
		Expect(err).NotTo(HaveOccurred(), "building our fake-endpoint and toxiproxy images")
		start := time.Now()
		ref, err := docker.BuildDistribution(ctx, "", GinkgoWriter)
		Expect(err).NotTo(HaveOccurred(), "building CNCF Distribution from the module proxy")
		Expect(ref).To(Equal(docker.DistributionImage))
		AddReportEntry("distribution image", ref+" ready in "+time.Since(start).Round(time.Millisecond).String())

		img := docker.DistributionRegistry(ref)
		smoke, ok := scenarios.MustCatalog().Get("smoke")
		Expect(ok).To(BeTrue())
		declared := load.Target{SingleRequestUpload: img.SingleRequestUpload, NoTagQuery: img.NoTagQuery}
		sc := withDeclared(smoke, declared)
		// The load owes 2 events fewer: one untagged push instead of three
		// tagged ones (NoTagQuery); the single-post upload owes its PUT's.
		Expect(sc.Expect.Final["sink"]["Events"]).To(Equal(smoke.Expect.Final["sink"]["Events"] - 2))

		res := ht.RunScenario(ctx, "e2e", e2eRuntime(ctx, images), sc, harness.RunOptions{Image: &img})
		ht.ExpectPassed(res)
		Expect(res.Registry.OwnRegistry).To(BeFalse(), "a foreign image has no extensions")
		Expect(res.Registry.DebugURL).NotTo(BeEmpty(), "the scenario's config enables the debug server")
		var said []string
		for _, l := range res.Load {
			said = append(said, l.Declared...)
		}
		Expect(said).To(ConsistOf(ContainSubstring(load.OpUploadSinglePost), ContainSubstring(load.OpPushTags)),
			"each declared difference is reported, none hidden")
	}, SpecTimeout(10*time.Minute))
})
