package example

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/hookbench/hookbench"
	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/hookbenchtest"
	"github.com/hookbench/hookbench/load"
)

func TestExample(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "hookbench from another module")
}

var _ = Describe("a registry's notification pipeline", func() {
	It("delivers every event of the smoke scenario once", func(ctx SpecContext) {
		inst, err := hookbench.Run(ctx, hookbench.WithScenario("smoke"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(inst.Terminate)
		Expect(inst).To(hookbenchtest.BeReconciled())
		Expect(inst).To(hookbenchtest.Pass())
		Expect(inst).To(hookbenchtest.HavePending("sink", 0))
	}, SpecTimeout(2*time.Minute))

	It("keeps counting while the receiver answers 503 three times in a row", func(ctx SpecContext) {
		// A scenario of our own, as a Go value.
		sc := hookbench.Scenario{
			Name:      "three-503s",
			Endpoints: []model.EndpointDef{{Name: "hooks", Profile: endpoint.Profile{Fault: endpoint.Fault{FailFirst: 3, FailStatus: 503}}}},
			Load:      []load.Profile{{Op: load.OpManifestPush, Count: 10, Pacing: load.Pacing{Rate: 50}}},
		}
		inst, err := hookbench.Run(ctx, hookbench.WithScenarioValue(sc))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(inst.Terminate)
		Expect(inst).To(hookbenchtest.Pass())
		Expect(inst).To(hookbenchtest.HaveStatusCount("hooks", 503, 3))
		Expect(inst).To(hookbenchtest.HaveEndpointMetrics("hooks", model.Counters{"Events": 12, "Successes": 12, "Failures": 3, "Pending": 0}))
	}, SpecTimeout(2*time.Minute))
})
