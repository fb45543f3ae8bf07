// Package cluster_test holds the cluster scenario specs (label "cluster"):
// registry replicas on S3 (MinIO) behind the round-robin balancer, with
// memory, disk or NATS queues, from images built offline, on a private
// network per spec (docker.Cluster). With CI=true an unreachable Docker
// Engine fails them; elsewhere they skip with the reason. `make cluster`
// runs it. It never calls docker.Cleanup: other suites may share the engine.
package cluster_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/docker"
	"github.com/hookbench/hookbench/scenarios"
	ht "github.com/hookbench/hookbench/tests/harnesstest"
)

func TestCluster(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "hookbench cluster (containers)")
}

var _ = Describe("cluster scenarios", Ordered, ContinueOnFailure, Label("cluster"), func() {
	var images map[string]string
	var made []string // runtime IDs, checked for leftovers at the end
	catalog := scenarios.MustCatalog()
	nats := natsQueueBuilt()
	selected := catalog.Select(func(s model.Scenario) bool {
		return s.HasLabel(scenarios.LabelCluster) && s.RunsOn(scenarios.RuntimeCluster) &&
			(nats == nil || !s.HasLabel(scenarios.LabelNATS))
	})

	BeforeAll(func(ctx SpecContext) {
		if err := docker.Ping(ctx); err != nil {
			ht.SkipOrFail(err.Error())
		}
		start := time.Now()
		var err error
		images, err = docker.BuildImages(ctx, ht.RepoRoot())
		Expect(err).NotTo(HaveOccurred(), "building the offline images")
		// One topology asking for everything the selected scenarios use.
		var all runtime.Topology
		for _, sc := range selected {
			if sc.Topology.Storage == runtime.StorageS3 {
				all.Storage = runtime.StorageS3
			}
			if sc.Topology.Queue == runtime.QueueNATS {
				all.Queue = runtime.QueueNATS
			}
		}
		more, err := docker.BuildClusterImages(ctx, ht.RepoRoot(), all)
		Expect(err).NotTo(HaveOccurred(), "building the cluster images")
		maps.Copy(images, more)
		if nats != nil {
			AddReportEntry("not selected", "scenarios labelled nats: "+nats.Error())
		}
		msg := fmt.Sprintf("images ready in %s: %v", time.Since(start).Round(time.Millisecond), images)
		GinkgoWriter.Println(msg)
		AddReportEntry("images", msg)
	}, NodeTimeout(15*time.Minute))

	newCluster := func(ctx context.Context, topo runtime.Topology) *docker.Cluster {
		Expect(images).NotTo(BeEmpty(), "images were not built")
		c, err := docker.NewCluster(ctx, images, topo, docker.WithLogf(ht.Logf))
		Expect(err).NotTo(HaveOccurred())
		made = append(made, c.ID())
		return c
	}

	for _, sc := range selected {
		It(fmt.Sprintf("%s (%s)", sc.Name, sc.Topology), func(ctx SpecContext) {
			c := newCluster(ctx, sc.Topology)
			res := ht.RunScenario(ctx, "cluster", c, sc, harness.RunOptions{})
			logReplicas(res)
			ht.ExpectPassed(res)
			if extra, ok := extraChecks[sc.Name]; ok {
				extra(ctx, c, res)
			}
		}, SpecTimeout(5*time.Minute))
	}

	// Last in this ordered container: every spec's clean-up has run.
	It("leaves no container, network or volume behind", func(ctx SpecContext) {
		Expect(made).NotTo(BeEmpty(), "no cluster was started")
		for _, id := range made {
			left, err := docker.Objects(ctx, id)
			Expect(err).NotTo(HaveOccurred())
			Expect(left).To(BeEmpty(), "left behind by cluster %s", id)
		}
	})
})

// natsQueueBuilt says why this build's registry cannot run a nats queue
// (nil when it can): its config refuses queue.kind nats until the shared
// NATS queue is part of it. A fact of the code under test, the same on
// every machine, not of the environment.
func natsQueueBuilt() error {
	const probe = "version: 0.1\nstorage:\n  inmemory: {}\nnotifications:\n  endpoints:\n" +
		"    - name: sink\n      url: http://sink:8080/\n      queue:\n        kind: nats\n        nats:\n          urls: [nats://nats-0:4222]\n"
	if _, _, err := config.Parse([]byte(probe), nil); err != nil {
		return fmt.Errorf("this registry has no queue.kind nats: %w", err)
	}
	return nil
}

// extraChecks are each scenario's own assertions beyond its verdict.
var extraChecks = map[string]func(context.Context, *docker.Cluster, *harness.Result){
	"uploads-across-replicas": func(ctx context.Context, c *docker.Cluster, res *harness.Result) {
		st, err := c.BalancerStats(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Backends).To(HaveLen(3))
		for _, b := range st.Backends {
			GinkgoWriter.Printf("balancer -> %s: %v\n", b.URL, b.Requests)
			Expect(b.Requests["PATCH"]).To(BeNumerically(">", 0), "PATCHes reaching %s", b.URL)
			Expect(b.Requests["PUT"]).To(BeNumerically(">", 0), "PUTs reaching %s", b.URL)
		}
		expectEveryHitOK(res)
		rec := res.Reconciliation.Endpoints[0]
		Expect(rec.Duplicates).To(BeZero())
		Expect(rec.Delivered).To(Equal(rec.Owed), "one event per upload and push")
		expectEveryReplicaAccepted(res)
	},
	"s3-outage": func(_ context.Context, _ *docker.Cluster, res *harness.Result) {
		failed := 0
		for _, lr := range res.Load {
			for code, n := range lr.Metrics.StatusCodes {
				GinkgoWriter.Printf("pushes answered %s: %d\n", code, n)
				Expect(code).To(Or(HavePrefix("2"), HavePrefix("5")), "pushes answer 2xx or, during the outage, 5xx")
				if strings.HasPrefix(code, "5") {
					failed += n
				}
			}
		}
		Expect(failed).To(BeNumerically(">", 0), "pushes failed with a 5xx during the outage")
		rec := res.Reconciliation.Endpoints[0]
		Expect(rec.Unexpected).To(BeEmpty(), "events for pushes that were not stored")
		Expect(rec.Lost).To(BeEmpty())
	},
	"replica-kill-mid-delivery": func(_ context.Context, _ *docker.Cluster, res *harness.Result) {
		rec := res.Reconciliation.Endpoints[0]
		Expect(rec.Lost).To(BeEmpty())
		Expect(rec.Duplicates).To(BeNumerically("<=", 2))
	},
	"replica-partition": func(_ context.Context, _ *docker.Cluster, res *harness.Result) {
		Expect(res.Reconciliation.Endpoints[0].Lost).To(BeEmpty())
		stale := false
		for _, s := range res.Samples {
			for _, r := range s.Replicas {
				stale = stale || (r.Name == "replica-1" && r.Stale)
			}
		}
		Expect(stale).To(BeTrue(), "no sample saw replica-1 cut off")
	},
	"nats-node-partition": func(_ context.Context, _ *docker.Cluster, res *harness.Result) {
		Expect(res.Reconciliation.Endpoints[0].Lost).To(BeEmpty())
		expectEveryHitOK(res)
	},
	"replica-kill-nats": func(_ context.Context, _ *docker.Cluster, res *harness.Result) {
		rec := res.Reconciliation.Endpoints[0]
		Expect(rec.Lost).To(BeEmpty())
		last := res.Samples[len(res.Samples)-1]
		delivered := 0
		for _, r := range last.Replicas {
			if r.Name != "replica-1" {
				delivered += r.Endpoints["sink"].Successes
			}
		}
		Expect(delivered).To(BeNumerically(">", 0), "the replicas left delivered")
		Expect(last.Replicas[1].Stale).To(BeTrue(), "replica-1 stayed dead")
	},
	"rolling-restart": func(_ context.Context, _ *docker.Cluster, res *harness.Result) {
		expectEveryHitOK(res)
		Expect(res.Reconciliation.Endpoints[0].Lost).To(BeEmpty())
	},
}

func expectEveryHitOK(res *harness.Result) {
	for _, lr := range res.Load {
		for code, n := range lr.Metrics.StatusCodes {
			Expect(code).To(HavePrefix("2"), "%d hits of %s answered %s", n, lr.Profile.Op, code)
		}
		Expect(lr.Metrics.Errors).To(BeEmpty(), "%s", lr.Profile.Op)
	}
}

// expectEveryReplicaAccepted: each replica's own Events > 0 in the last sample.
func expectEveryReplicaAccepted(res *harness.Result) {
	Expect(res.Samples).NotTo(BeEmpty())
	last := res.Samples[len(res.Samples)-1]
	Expect(last.Replicas).To(HaveLen(len(res.Replicas)))
	for _, r := range last.Replicas {
		Expect(r.Endpoints["sink"].Events).To(BeNumerically(">", 0), "events accepted by %s", r.Name)
	}
}

func logReplicas(res *harness.Result) {
	if len(res.Samples) == 0 {
		return
	}
	for _, r := range res.Samples[len(res.Samples)-1].Replicas {
		GinkgoWriter.Printf("%s: %v %s\n", r.Name, r.Endpoints, r.Error)
	}
}
