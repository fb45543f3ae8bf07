package hookbench_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/hookbench/hookbench"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/hookbenchtest"
	"github.com/hookbench/hookbench/load"
)

func TestRunBuiltInScenario(t *testing.T) {
	g := gomega.NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inst, err := hookbench.Run(ctx, hookbench.WithRuntime(hookbench.RuntimeInProcess), hookbench.WithScenario("smoke"))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	defer inst.Terminate(ctx)
	g.Expect(inst).To(hookbenchtest.Pass())
	g.Expect(inst).To(hookbenchtest.HaveEndpointMetrics("sink", model.Counters{"Events": 27, "Pending": 0}))
	g.Expect(inst.Result().Scenario).To(gomega.Equal("smoke"))
	g.Expect(inst.Terminate(ctx)).To(gomega.Succeed())
	g.Expect(inst.Terminate(ctx)).To(gomega.Succeed(), "twice")
}

func TestRunLoad(t *testing.T) {
	g := gomega.NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inst, err := hookbench.Run(ctx, hookbench.WithLoad(load.Profile{Op: load.OpManifestPush, Count: 10, Pacing: load.Pacing{Rate: 100}}))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	defer inst.Terminate(ctx)
	g.Expect(inst).To(hookbenchtest.BeReconciled())
	// 2 seeded blobs and 10 manifests, each delivered once.
	g.Expect(inst).To(hookbenchtest.HaveEndpointMetrics(hookbench.LoadEndpoint, model.Counters{"Events": 12, "Successes": 12, "Pending": 0}))
}

// A scenario value whose expectation is wrong fails that check, by name:
// the API reports failures, it does not hide them.
func TestRunScenarioValueFailsByName(t *testing.T) {
	g := gomega.NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A built-in scenario as a value, adjusted the way a user would.
	sc, err := hookbench.Builtin("flaky-5xx")
	g.Expect(err).NotTo(gomega.HaveOccurred())
	sc.Name = "wrong-expectation"
	sc.Load[0].Count = 5
	sc.Expect.Final = map[string]model.Counters{"sink": {"Events": 6}}
	inst, err := hookbench.Run(ctx, hookbench.WithScenarioValue(sc))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	defer inst.Terminate(ctx)
	g.Expect(inst).To(hookbenchtest.BeReconciled())
	g.Expect(inst).To(hookbenchtest.FailCheck("Final Events"))
	g.Expect(inst.Err()).To(gomega.MatchError(gomega.ContainSubstring("Final Events: registry 7, expected 6")))
}

func TestRunRefusesBadOptions(t *testing.T) {
	ctx := context.Background()
	for name, opts := range map[string][]hookbench.Option{
		"exactly one":      {hookbench.WithScenario("smoke"), hookbench.WithLoad(load.Profile{Op: load.OpManifestPush, Count: 1})},
		"no scenario":      nil,
		"runtime":          {hookbench.WithRuntime("vm"), hookbench.WithScenario("smoke")},
		"unknown scenario": {hookbench.WithScenario("no-such")},
		"receiver":         {hookbench.WithScenario("smoke"), hookbench.WithReceiver("elsewhere", "http://127.0.0.1:1/")},
	} {
		inst, err := hookbench.Run(ctx, opts...)
		if err == nil || inst != nil {
			t.Errorf("%s: want an error and no instance, got %v, %v", name, inst, err)
			continue
		}
		for _, word := range map[string][]string{
			"exactly one": {"exactly one"}, "no scenario": {"exactly one"}, "runtime": {`"vm"`, "inprocess"},
			"unknown scenario": {`"no-such"`, "smoke"}, "receiver": {`"elsewhere"`, "sink"},
		}[name] {
			if !strings.Contains(err.Error(), word) {
				t.Errorf("%s: error %q lacks %q", name, err, word)
			}
		}
	}
}

// What the runtime cannot do is errors.ErrUnsupported.
func TestRunUnsupportedIsErrUnsupported(t *testing.T) {
	_, err := hookbench.Run(context.Background(), hookbench.WithScenario("endpoint-paused"))
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("endpoint-paused in-process: want ErrUnsupported, got %v", err)
	}
}

// A scenario file runs as its built-in twin does; a bad one is refused
// before anything starts, naming its line and key.
func TestRunScenarioFile(t *testing.T) {
	g := gomega.NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	good := dir + "/flaky.yaml"
	g.Expect(os.WriteFile(good, []byte(`name: flaky
endpoints:
  - name: sink
    profile: {errorRate: 0.3, errorStatus: 500, seed: 42}
load:
  - op: manifest-push
    pacing: {rate: 50}
    count: 10
expect:
  final:
    sink: {Events: 12, Successes: 12, Pending: 0}
`), 0o644)).To(gomega.Succeed())
	inst, err := hookbench.Run(ctx, hookbench.WithScenarioFile(good))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	defer inst.Terminate(ctx)
	g.Expect(inst).To(hookbenchtest.Pass())

	bad := dir + "/bad.yaml"
	g.Expect(os.WriteFile(bad, []byte("name: bad\nendpoints:\n  - name: sink\n    tiemout: 1s\n"), 0o644)).To(gomega.Succeed())
	_, err = hookbench.Run(ctx, hookbench.WithScenarioFile(bad))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("bad.yaml:4: endpoints[0].tiemout")))
}
