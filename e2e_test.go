package hookbench_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/hookbench/hookbench/fakes/endpoint"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/docker"
	"github.com/hookbench/hookbench/harness/load"
	"github.com/hookbench/hookbench/harness/report"
	"github.com/hookbench/hookbench/scenarios"
)

// The e2e specs (label "e2e") run scenarios in containers: our registry, the
// fake receivers and a toxiproxy on a private network per spec, from images
// built offline (docker.BuildImages). With CI=true an unreachable Docker
// Engine fails them; elsewhere they skip with the reason.
var _ = Describe("scenarios in containers", Ordered, ContinueOnFailure, Label("e2e"), func() {
	var images map[string]string

	BeforeAll(func(ctx SpecContext) {
		if err := docker.Ping(ctx); err != nil {
			e2eSkipOrFail(err.Error())
		}
		left, err := docker.Cleanup(ctx)
		Expect(err).NotTo(HaveOccurred(), "removing leftovers of earlier sessions")
		if len(left.Containers)+len(left.Networks)+len(left.Volumes) > 0 {
			GinkgoWriter.Printf("removed leftovers of earlier sessions: %+v\n", left)
		}
		start := time.Now()
		images, err = docker.BuildImages(ctx, ".")
		Expect(err).NotTo(HaveOccurred(), "building the offline images")
		msg := fmt.Sprintf("images ready in %s: %v", time.Since(start).Round(time.Millisecond), images)
		GinkgoWriter.Println(msg)
		AddReportEntry("images", msg)
	}, NodeTimeout(10*time.Minute))

	for _, sc := range scenarios.MustCatalog().All() {
		It(fmt.Sprintf("%s (containers)", sc.Name), func(ctx SpecContext) {
			res := e2eRun(ctx, images, sc)
			e2eExpectPassed(res)
		}, SpecTimeout(3*time.Minute))
	}

	It("network-partition: Errors rise while cut off, Pending drains to 0 after, nothing lost", func(ctx SpecContext) {
		res := e2eRun(ctx, images, networkPartition())
		e2eExpectPassed(res)
		e2eExpectOutage(res, "sink")
	}, SpecTimeout(3*time.Minute))

	It("endpoint-container-kill: the receiver's container is killed and started again", func(ctx SpecContext) {
		res := e2eRun(ctx, images, endpointContainerKill())
		e2eExpectPassed(res)
		e2eExpectOutage(res, "sink")
	}, SpecTimeout(3*time.Minute))

	It("endpoint-paused: a frozen receiver accepts connections and never answers", func(ctx SpecContext) {
		res := e2eRun(ctx, images, endpointPaused())
		e2eExpectPassed(res)
		e2eExpectOutage(res, "sink")
	}, SpecTimeout(3*time.Minute))

	It("registry-sigkill-restart: reports how many accepted events a kill -9 lost", func(ctx SpecContext) {
		res := e2eRun(ctx, images, registrySigkillRestart())
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
		msg := fmt.Sprintf("registry-sigkill-restart: %d of %d accepted events lost (Pending at the last sample before the kill: %d)",
			len(rec.Lost), rec.Owed, pendingAtKill)
		AddReportEntry("lost events", msg)
		GinkgoWriter.Println(msg)
		// go test shows a passing package's output only with -v: keep the figure in a file too.
		Expect(os.MkdirAll(e2eOut(""), 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(e2eOut(""), "registry-sigkill-restart-lost.txt"), []byte(msg+"\n"), 0o644)).To(Succeed())
		// Only what was queued when the process died may be lost: nothing
		// accepted after the restart, and nothing unexplained.
		for _, e := range rec.Lost {
			Expect(e.At.Before(restartedAt)).To(BeTrue(), "event %s %s accepted at %s, after the restart at %s, was lost", e.Action, e.Repository, e.At, restartedAt)
		}
		Expect(rec.Unexpected).To(BeEmpty())
		Expect(res.Final["sink"].Pending).To(Equal(0), "Pending after the restart")
		Expect(rec.Delivered + len(rec.Lost)).To(Equal(rec.Owed))
	}, SpecTimeout(3*time.Minute))

	It("TCP faults between registry and receiver: latency over the timeout, then reset, heal", func(ctx SpecContext) {
		rt := e2eRuntime(ctx, images)
		sc := toxicScenario()
		o := harness.RunOptions{Logf: e2eLogf}
		res, err := harness.Run(ctx, &toxicRuntime{Runtime: rt}, sc, o)
		Expect(err).NotTo(HaveOccurred())
		e2eSaveReport(res)
		e2eExpectPassed(res)
		e2eExpectOutage(res, "sink")
	}, SpecTimeout(3*time.Minute))

	It("a real Docker client pushes and pulls, and the receiver sees the events", func(ctx SpecContext) {
		if _, err := exec.LookPath("docker"); err != nil {
			e2eSkipOrFail("docker CLI not on PATH: " + err.Error())
		}
		rt := e2eRuntime(ctx, images)
		ep, err := rt.NewEndpoint(ctx, harness.EndpointSpec{Name: "sink"})
		Expect(err).NotTo(HaveOccurred())
		sc := harness.Scenario{Name: "docker-client", Endpoints: []harness.EndpointDef{{Name: "sink"}}}
		tmpl, err := sc.ConfigTemplate(map[string]string{"sink": ep.RegistryURL})
		Expect(err).NotTo(HaveOccurred())
		reg, err := rt.StartRegistry(ctx, harness.RegistrySpec{ConfigTemplate: tmpl})
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
		ledger := func(g Gomega) []harness.Delivery {
			ds, err := fake.Ledger(ctx, endpoint.Filter{})
			g.Expect(err).NotTo(HaveOccurred())
			return ds
		}
		Eventually(ledger).WithContext(ctx).Should(ContainElement(SatisfyAll(
			HaveField("Action", "push"), HaveField("Repository", "e2e/hello"), HaveField("Tag", "v1"))), "manifest push event")
		Eventually(ledger).WithContext(ctx).Should(ContainElement(SatisfyAll(
			HaveField("Action", "pull"), HaveField("Repository", "e2e/hello"))), "pull event")
		Eventually(func(g Gomega) harness.EndpointMetrics {
			v, err := harness.FetchVars(ctx, http.DefaultClient, reg.DebugURL)
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

func e2eSkipOrFail(reason string) {
	if os.Getenv("CI") == "true" {
		Fail("CI=true: refusing to skip: " + reason)
	}
	Skip(reason)
}

func e2eLogf(format string, args ...any) { GinkgoWriter.Printf(format+"\n", args...) }

func e2eOut(name string) string {
	base := os.Getenv("HOOKBENCH_OUT")
	if base == "" {
		base = "out"
	}
	return filepath.Join(base, "e2e", name)
}

// e2eRuntime makes a docker runtime removed when the spec ends, its
// container logs saved into the spec's report folder when it failed.
func e2eRuntime(ctx context.Context, images map[string]string) *docker.Runtime {
	Expect(images).NotTo(BeEmpty(), "images were not built")
	rt, err := docker.New(ctx, images, docker.WithLogf(e2eLogf))
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
func e2eRun(ctx context.Context, images map[string]string, sc harness.Scenario) *harness.Result {
	rt := e2eRuntime(ctx, images)
	res, err := harness.Run(ctx, rt, sc, harness.RunOptions{Logf: e2eLogf})
	var missing *harness.MissingError
	if errors.As(err, &missing) {
		e2eSkipOrFail(missing.Error())
	}
	Expect(err).NotTo(HaveOccurred(), "scenario %s could not run", sc.Name)
	e2eSaveReport(res)
	return res
}

func e2eSaveReport(res *harness.Result) {
	DeferCleanup(func() {
		if !CurrentSpecReport().Failed() {
			return
		}
		dir := e2eOut(res.Scenario)
		if err := report.WriteAll(dir, res); err != nil {
			GinkgoWriter.Printf("writing report: %v\n", err)
		}
		GinkgoWriter.Printf("reports in %s\n", dir)
	})
	var table strings.Builder
	report.Text(&table, res)
	GinkgoWriter.Println(table.String())
}

func e2eExpectPassed(res *harness.Result) {
	Expect(res).To(harness.BeReconciled())
	Expect(res.Violations).To(BeEmpty(), "expectations of scenario %s", res.Scenario)
}

// e2eExpectOutage: Errors rose during the fault, Pending drained to 0 after.
func e2eExpectOutage(res *harness.Result, ep string) {
	maxErrors, maxPending := 0, 0
	for _, s := range res.Samples {
		m := s.Endpoints[ep]
		maxErrors, maxPending = max(maxErrors, m.Errors), max(maxPending, m.Pending)
	}
	GinkgoWriter.Printf("%s: Errors rose to %d, Pending peaked at %d, final %s\n", res.Scenario, maxErrors, maxPending, res.Final[ep])
	Expect(maxErrors).To(BeNumerically(">", 0), "Errors during the fault")
	Expect(res.Final[ep].Pending).To(Equal(0), "Pending after the fault")
	Expect(res.Reconciliation.Endpoints[0].Lost).To(BeEmpty(), "lost events")
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

// Scenarios only containers can run. They live here, not in scenarios/,
// because the in-process runtime cannot partition or freeze a receiver.

func e2ePushes(n int, rate float64) load.Profile {
	return load.Profile{Op: load.OpManifestPush, Count: n, Pacing: load.Pacing{Rate: rate}}
}

func networkPartition() harness.Scenario {
	return harness.Scenario{
		Name:        "network-partition",
		Description: "The receiver's container is disconnected from the network for 1.8s while 30 manifests are pushed.",
		Endpoints: []harness.EndpointDef{{Name: "sink",
			Tolerance: harness.Tolerance{Refusals: true, Timeouts: true}}},
		Load: []load.Profile{e2ePushes(30, 20)},
		Chaos: []harness.ChaosStep{
			{At: 200 * time.Millisecond, Action: harness.ChaosPartition, Endpoint: "sink"},
			{At: 2 * time.Second, Action: harness.ChaosHeal, Endpoint: "sink"},
		},
		Expect: harness.Expect{
			Final:        map[string]harness.Counters{"sink": {"Pending": 0, "Failures": 0}},
			Eventually:   []harness.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">", Value: 0}},
			DrainTimeout: 30 * time.Second,
		},
	}
}

func endpointContainerKill() harness.Scenario {
	return harness.Scenario{
		Name:        "endpoint-container-kill",
		Description: "The receiver's container is killed (SIGKILL) mid-load and started again 2s later; its ledger survives in the harness.",
		Endpoints: []harness.EndpointDef{{Name: "sink",
			Tolerance: harness.Tolerance{Refusals: true, Timeouts: true}}},
		Load: []load.Profile{e2ePushes(40, 20)},
		Chaos: []harness.ChaosStep{
			{At: 500 * time.Millisecond, Action: harness.ChaosStopEndpoint, Endpoint: "sink"},
			{At: 2500 * time.Millisecond, Action: harness.ChaosStartEndpoint, Endpoint: "sink"},
		},
		Expect: harness.Expect{
			Final:        map[string]harness.Counters{"sink": {"Pending": 0, "Failures": 0}},
			Eventually:   []harness.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">", Value: 0}},
			DrainTimeout: 30 * time.Second,
		},
	}
}

func endpointPaused() harness.Scenario {
	return harness.Scenario{
		Name:        "endpoint-paused",
		Description: "The receiver's container is frozen (docker pause) for 1.7s: connections are accepted, nothing answers, the registry times out.",
		Endpoints: []harness.EndpointDef{{Name: "sink",
			Tolerance: harness.Tolerance{Timeouts: true}}},
		Load: []load.Profile{e2ePushes(30, 20)},
		Chaos: []harness.ChaosStep{
			{At: 300 * time.Millisecond, Action: harness.ChaosPauseEndpoint, Endpoint: "sink"},
			{At: 2 * time.Second, Action: harness.ChaosUnpauseEndpoint, Endpoint: "sink"},
		},
		Expect: harness.Expect{
			Final:        map[string]harness.Counters{"sink": {"Pending": 0, "Failures": 0}},
			Eventually:   []harness.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">", Value: 0}},
			DrainTimeout: 30 * time.Second,
		},
	}
}

func registrySigkillRestart() harness.Scenario {
	return harness.Scenario{
		Name: "registry-sigkill-restart",
		Description: "A slow receiver (100ms per answer) lets a backlog build; the registry is killed with SIGKILL at 1s " +
			"and started again on the same volume. Losses are counted, not failed.",
		Endpoints: []harness.EndpointDef{{Name: "sink", Profile: []byte(`{"latency":"100ms"}`),
			Tolerance: harness.Tolerance{AllowLost: true, Timeouts: true, Refusals: true}}},
		Load: []load.Profile{e2ePushes(40, 30)},
		Chaos: []harness.ChaosStep{
			{At: time.Second, Action: harness.ChaosKillRegistry},
			{At: 1300 * time.Millisecond, Action: harness.ChaosRestartRegistry},
		},
		Expect: harness.Expect{DrainTimeout: 30 * time.Second},
	}
}

// toxicScenario: the receiver is healthy; the toxicRuntime below turns the
// timeline's partition into slow answers and its pause into resets, both
// TCP faults on the proxy in front of the receiver.
func toxicScenario() harness.Scenario {
	return harness.Scenario{
		Name:        "tcp-faults",
		Description: "Answers delayed past the registry's 300ms timeout with a slow close and 64KB/s, then connections reset, then healed.",
		Endpoints: []harness.EndpointDef{{Name: "sink",
			Tolerance: harness.Tolerance{Refusals: true, Timeouts: true}}},
		Load: []load.Profile{e2ePushes(30, 20)},
		Chaos: []harness.ChaosStep{
			{At: 200 * time.Millisecond, Action: harness.ChaosPartition, Endpoint: "sink"},
			{At: 900 * time.Millisecond, Action: harness.ChaosHeal, Endpoint: "sink"},
			{At: 900 * time.Millisecond, Action: harness.ChaosPauseEndpoint, Endpoint: "sink"},
			{At: 1600 * time.Millisecond, Action: harness.ChaosUnpauseEndpoint, Endpoint: "sink"},
		},
		Expect: harness.Expect{
			Final:        map[string]harness.Counters{"sink": {"Pending": 0, "Failures": 0}},
			Eventually:   []harness.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">", Value: 0}},
			DrainTimeout: 30 * time.Second,
		},
	}
}

// toxicRuntime maps the timeline's partition to latency over the timeout,
// slow close and low bandwidth, and its pause to connection resets.
type toxicRuntime struct{ *docker.Runtime }

func (t *toxicRuntime) Partition(_ context.Context, name string) error {
	for _, tx := range []docker.Toxic{docker.Latency(500, 0), docker.SlowClose(200), docker.Bandwidth(64)} {
		if err := t.AddToxic(name, tx); err != nil {
			return err
		}
	}
	return nil
}

func (t *toxicRuntime) Heal(_ context.Context, name string) error { return t.RemoveToxics(name) }

func (t *toxicRuntime) PauseEndpoint(_ context.Context, name string) error {
	return t.AddToxic(name, docker.ResetPeer(0))
}

func (t *toxicRuntime) UnpauseEndpoint(_ context.Context, name string) error {
	return t.RemoveToxics(name)
}
