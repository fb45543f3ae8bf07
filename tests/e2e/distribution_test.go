package e2e_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/runtime/docker"
	"github.com/hookbench/hookbench/load"
	"github.com/hookbench/hookbench/scenarios"
	ht "github.com/hookbench/hookbench/tests/harnesstest"
)

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
		// Seen once on a loaded machine: Distribution's first connection
		// (embedded DNS, then toxiproxy) outlasted the 300ms notification
		// timeout and counted an Error the fake never saw. This spec is
		// about running a foreign image, not about that timeout.
		smoke.Endpoints[0].Timeout = 3 * time.Second
		res := ht.RunScenario(ctx, "e2e", e2eRuntime(ctx, images), smoke, harness.RunOptions{Image: &img})
		ht.ExpectPassed(res)
		// The load owes 2 events fewer: one untagged push instead of three
		// tagged ones (NoTagQuery); the single-post upload owes its PUT's.
		// The final counters smoke declares for our registry follow, noted.
		owed := smoke.Expect.Final["sink"]["Events"] - 2
		Expect(res.Final["sink"].Events).To(Equal(owed))
		Expect(res.Final["sink"].Successes).To(Equal(owed))
		Expect(res.Notes).To(ContainElement(ContainSubstring("declared difference: endpoint sink final Events expected %d", owed)))
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
