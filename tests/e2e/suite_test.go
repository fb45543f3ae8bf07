// Package e2e holds the Docker scenario specs (label "e2e"): our registry,
// the fake receivers and a toxiproxy on a private network per spec, from
// images built offline (docker.BuildImages). With CI=true an unreachable
// Docker Engine fails them; elsewhere they skip with the reason.
// `make e2e` runs it.
package e2e_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/docker"
	"github.com/hookbench/hookbench/scenarios"
	ht "github.com/hookbench/hookbench/tests/harnesstest"
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "hookbench e2e (containers)")
}

var _ = Describe("scenarios in containers", Ordered, ContinueOnFailure, Label("e2e"), func() {
	var images map[string]string

	BeforeAll(func(ctx SpecContext) {
		if err := docker.Ping(ctx); err != nil {
			ht.SkipOrFail(err.Error())
		}
		left, err := docker.Cleanup(ctx)
		Expect(err).NotTo(HaveOccurred(), "removing leftovers of earlier sessions")
		if len(left.Containers)+len(left.Networks)+len(left.Volumes) > 0 {
			GinkgoWriter.Printf("removed leftovers of earlier sessions: %+v\n", left)
		}
		start := time.Now()
		images, err = docker.BuildImages(ctx, ht.RepoRoot())
		Expect(err).NotTo(HaveOccurred(), "building the offline images")
		msg := fmt.Sprintf("images ready in %s: %v", time.Since(start).Round(time.Millisecond), images)
		GinkgoWriter.Println(msg)
		AddReportEntry("images", msg)
	}, NodeTimeout(10*time.Minute))

	catalog := scenarios.MustCatalog()
	for _, sc := range catalog.Select(func(s model.Scenario) bool {
		return s.RunsOn("docker") && !s.HasLabel(scenarios.LabelLossReport)
	}) {
		It(fmt.Sprintf("%s (containers)", sc.Name), func(ctx SpecContext) {
			res := e2eRun(ctx, images, sc)
			ht.ExpectPassed(res)
			if sc.HasLabel(scenarios.LabelOutage) {
				ht.ExpectOutage(res, "sink")
			}
		}, SpecTimeout(3*time.Minute))
	}

	for _, sc := range catalog.Select(func(s model.Scenario) bool {
		return s.RunsOn("docker") && s.HasLabel(scenarios.LabelLossReport)
	}) {
		It(fmt.Sprintf("%s: reports how many accepted events a kill -9 lost", sc.Name), func(ctx SpecContext) {
			res := e2eRun(ctx, images, sc)
			expectLossReport(res)
		}, SpecTimeout(3*time.Minute))
	}

	It("a real Docker client pushes and pulls, and the receiver sees the events", func(ctx SpecContext) {
		if _, err := exec.LookPath("docker"); err != nil {
			ht.SkipOrFail("docker CLI not on PATH: " + err.Error())
		}
		rt := e2eRuntime(ctx, images)
		ep, err := rt.NewEndpoint(ctx, runtime.EndpointSpec{Name: "sink"})
		Expect(err).NotTo(HaveOccurred())
		tmpl, err := model.ConfigTemplateFor(model.RegistryFragment{}, []model.EndpointDef{{Name: "sink"}}, map[string]string{"sink": ep.RegistryURL})
		Expect(err).NotTo(HaveOccurred())
		reg, err := rt.StartRegistry(ctx, runtime.RegistrySpec{ConfigTemplate: tmpl})
		Expect(err).NotTo(HaveOccurred())

		// 127.0.0.1 is an insecure registry by default for dockerd.
		ref := strings.TrimPrefix(reg.URL, "http://") + "/e2e/hello:v1"
		tarball := filepath.Join(GinkgoT().TempDir(), "rootfs.tar")
		Expect(os.WriteFile(tarball, tinyRootfs(), 0o644)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { _ = exec.CommandContext(ctx, "docker", "rmi", "-f", ref).Run() })
		e2eDocker(ctx, "import", tarball, ref)
		e2eDocker(ctx, "push", ref)
		e2eDocker(ctx, "rmi", ref)
		e2eDocker(ctx, "pull", ref)

		fake := endpoint.NewClient(ep.AdminURL)
		ledger := func(g Gomega) []endpoint.Delivery {
			ds, err := fake.Ledger(ctx, endpoint.Filter{})
			g.Expect(err).NotTo(HaveOccurred())
			return ds
		}
		Eventually(ledger).WithContext(ctx).Should(ContainElement(SatisfyAll(
			HaveField("Action", "push"), HaveField("Repository", "e2e/hello"), HaveField("Tag", "v1"))), "manifest push event")
		Eventually(ledger).WithContext(ctx).Should(ContainElement(SatisfyAll(
			HaveField("Action", "pull"), HaveField("Repository", "e2e/hello"))), "pull event")
		Eventually(func(g Gomega) endpoint.EndpointMetrics {
			v, err := observe.FetchVars(ctx, http.DefaultClient, reg.DebugURL)
			g.Expect(err).NotTo(HaveOccurred())
			m, ok := v.Endpoint("sink")
			g.Expect(ok).To(BeTrue())
			return m
		}).WithContext(ctx).Should(SatisfyAll(HaveField("Pending", 0), HaveField("Failures", 0), HaveField("Successes", BeNumerically(">=", 2))))
		for _, d := range ledger(Default) {
			GinkgoWriter.Printf("event %s %s %s:%s %s\n", d.Action, d.MediaType, d.Repository, d.Tag, d.Digest)
		}
	}, SpecTimeout(5*time.Minute))

	// Last in this ordered container: every spec's clean-up has run (an
	// AfterAll would run before the last spec's DeferCleanup).
	It("leaves no container, network or volume behind", func(ctx SpecContext) {
		left, err := docker.SessionObjects(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(left).To(BeEmpty(), "containers, networks or volumes left behind")
	})
})

func e2eOut(name string) string { return ht.OutDir("e2e", name) }

// e2eRuntime makes a docker runtime removed when the spec ends, its
// container logs saved into the spec's report folder when it failed.
func e2eRuntime(ctx context.Context, images map[string]string) *docker.Runtime {
	Expect(images).NotTo(BeEmpty(), "images were not built")
	rt, err := docker.New(ctx, images, docker.WithLogf(ht.Logf))
	Expect(err).NotTo(HaveOccurred())
	name := strings.NewReplacer(" ", "-", "/", "-", ":", "").Replace(CurrentSpecReport().LeafNodeText)
	if i := strings.IndexAny(name, "(,"); i > 0 {
		name = strings.TrimRight(name[:i], "-")
	}
	DeferCleanup(func(ctx SpecContext) {
		if CurrentSpecReport().Failed() {
			dir := filepath.Join(e2eOut(name), "logs")
			if err := rt.SaveLogs(ctx, dir); err != nil {
				GinkgoWriter.Printf("saving container logs: %v\n", err)
			}
			GinkgoWriter.Printf("container logs in %s\n", dir)
		}
		Expect(rt.Close(ctx)).To(Succeed())
	}, NodeTimeout(time.Minute))
	return rt
}

// e2eRun runs sc in containers; a failing spec leaves its reports and logs.
func e2eRun(ctx context.Context, images map[string]string, sc model.Scenario) *harness.Result {
	return ht.RunScenario(ctx, "e2e", e2eRuntime(ctx, images), sc, harness.RunOptions{})
}

// expectLossReport: a kill -9 may lose what was queued in memory, and
// only that: nothing accepted after the restart, nothing unexplained.
func expectLossReport(res *harness.Result) {
	Expect(res.Chaos).To(HaveLen(2))
	for _, c := range res.Chaos {
		Expect(c.Error).To(BeEmpty(), "chaos %s", c.Action)
	}
	rec := res.Reconciliation.Endpoints[0]
	// The samples bracket the outage: the first failed scrape comes
	// after the kill, the first good one after it after the restart.
	pendingAtKill, down := 0, false
	var restartedAt time.Time
	for _, s := range res.Samples {
		switch {
		case s.Error != "":
			down = true
		case !down:
			pendingAtKill = s.Endpoints["sink"].Pending
		case restartedAt.IsZero():
			restartedAt = s.At
		}
	}
	Expect(down).To(BeTrue(), "no sample saw the registry down")
	msg := fmt.Sprintf("%s: %d of %d accepted events lost (Pending at the last sample before the kill: %d)",
		res.Scenario, len(rec.Lost), rec.Owed, pendingAtKill)
	AddReportEntry("lost events", msg)
	GinkgoWriter.Println(msg)
	// go test shows a passing package's output only with -v: keep the figure in a file too.
	Expect(os.MkdirAll(e2eOut(""), 0o755)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(e2eOut(""), res.Scenario+"-lost.txt"), []byte(msg+"\n"), 0o644)).To(Succeed())
	for _, e := range rec.Lost {
		Expect(e.At.Before(restartedAt)).To(BeTrue(), "event %s %s accepted at %s, after the restart at %s, was lost", e.Action, e.Repository, e.At, restartedAt)
	}
	Expect(rec.Unexpected).To(BeEmpty())
	Expect(res.Final["sink"].Pending).To(Equal(0), "Pending after the restart")
	Expect(rec.Delivered + len(rec.Lost)).To(Equal(rec.Owed))
}

func e2eDocker(ctx context.Context, args ...string) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	out, err := cmd.CombinedOutput()
	GinkgoWriter.Printf("$ docker %s\n%s", strings.Join(args, " "), out)
	Expect(err).NotTo(HaveOccurred(), "docker %s: %s", strings.Join(args, " "), out)
}

// tinyRootfs is a root filesystem of one file, for `docker import`.
func tinyRootfs() []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte("hello from hookbench e2e\n")
	Expect(tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0)})).To(Succeed())
	_, err := tw.Write(body)
	Expect(err).NotTo(HaveOccurred())
	Expect(tw.Close()).To(Succeed())
	return buf.Bytes()
}
