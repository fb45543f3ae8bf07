// Package hookbench is the library API of the hookbench harness, for other
// modules' own Ginkgo or `testing` suites: start a runtime, run a scenario
// (built in, or a Go value) or a plain load against a registry, and read
// the verdict. It follows the testcontainers-go module style:
//
//	inst, err := hookbench.Run(ctx, hookbench.WithRuntime("inprocess"), hookbench.WithScenario("smoke"))
//	if err != nil { ... }                  // the run could not happen
//	defer inst.Terminate(ctx)
//	if err := inst.Result().Err(); err != nil { ... } // a check failed
//
// What a run could not do (a chaos action or capability the runtime or
// registry lacks) is an error for which errors.Is(err,
// errors.ErrUnsupported) holds. Gomega matchers on the result are in
// package hookbenchtest, which only test code imports.
package hookbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/docker"
	"github.com/hookbench/hookbench/harness/runtime/inprocess"
	"github.com/hookbench/hookbench/harness/runtime/process"
	"github.com/hookbench/hookbench/load"
	"github.com/hookbench/hookbench/scenarios"
)

// Result is everything a run produced; Result.Err names every failed check.
type Result = harness.Result

// Scenario is a scenario as a Go value (see package harness/model).
type Scenario = model.Scenario

// Runtime names accepted by WithRuntime.
const (
	RuntimeInProcess = "inprocess" // registry and fakes as goroutines; needs nothing but Go
	RuntimeProcess   = "process"   // registry and fakes as child processes (built with go build)
	RuntimeDocker    = "docker"    // containers from images built offline; needs a Docker Engine
)

// LoadEndpoint is the one healthy receiver of a run made by WithLoad.
const LoadEndpoint = "sink"

// Option configures Run. An option that cannot apply returns an error
// from Run naming it.
type Option func(*settings) error

type settings struct {
	runtimeName string
	rt          runtime.Runtime
	scenario    *model.Scenario
	name        string
	load        []load.Profile
	run         harness.RunOptions
	external    *runtime.ExternalRegistry
	moduleRoot  string
	binDir      string
}

// WithRuntime chooses the runtime by name: RuntimeInProcess (the default),
// RuntimeProcess or RuntimeDocker.
func WithRuntime(name string) Option {
	return func(s *settings) error {
		switch name {
		case RuntimeInProcess, RuntimeProcess, RuntimeDocker:
			s.runtimeName = name
			return nil
		}
		return fmt.Errorf("hookbench: WithRuntime(%q): want %s, %s or %s", name, RuntimeInProcess, RuntimeProcess, RuntimeDocker)
	}
}

// WithCustomRuntime runs on a runtime the caller made (any
// runtime.Runtime); Terminate closes it.
func WithCustomRuntime(rt runtime.Runtime) Option {
	return func(s *settings) error {
		if rt == nil {
			return errors.New("hookbench: WithCustomRuntime(nil)")
		}
		s.rt = rt
		return nil
	}
}

// WithScenario runs the built-in scenario of that name (`harness list`).
func WithScenario(name string) Option {
	return func(s *settings) error { s.name = name; return nil }
}

// WithScenarioFile runs the scenario in a scenario file (YAML or JSON; see
// docs/scenario-files.md). A bad file is an error naming its line and key.
func WithScenarioFile(path string) Option {
	return func(s *settings) error {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("hookbench: %w", err)
		}
		sc, err := model.DecodeFile(path, data)
		if err != nil {
			return err
		}
		s.scenario = &sc
		return nil
	}
}

// WithScenarioValue runs a scenario given as a Go value.
func WithScenarioValue(sc Scenario) Option {
	return func(s *settings) error { s.scenario = &sc; return nil }
}

// WithLoad runs these load phases against the registry with one healthy
// receiver named LoadEndpoint: every event each operation owes must be
// delivered once with its content, and the registry's counters must agree.
func WithLoad(phases ...load.Profile) Option {
	return func(s *settings) error {
		if len(phases) == 0 {
			return errors.New("hookbench: WithLoad without a load phase")
		}
		s.load = phases
		return nil
	}
}

// WithRegistryURL tests a registry that already runs (API and debug server
// base URLs; the debug server's /debug/vars is read). The endpoints run in
// the chosen runtime and must be reachable from that registry.
func WithRegistryURL(apiURL, debugURL string) Option {
	return func(s *settings) error {
		s.external = &runtime.ExternalRegistry{URL: apiURL, DebugURL: debugURL}
		return nil
	}
}

// WithExternalRegistry is WithRegistryURL with every setting: the
// Prometheus path and the registry's declared differences
// (SingleRequestUpload, NoTagQuery).
func WithExternalRegistry(ext runtime.ExternalRegistry) Option {
	return func(s *settings) error {
		if ext.URL == "" {
			return errors.New("hookbench: WithExternalRegistry without a URL")
		}
		s.external = &ext
		return nil
	}
}

// WithRegistryBinary runs another registry program (e.g. CNCF
// Distribution's `registry`) as a child process; it implies the process
// runtime.
func WithRegistryBinary(b runtime.BinaryRegistry) Option {
	return func(s *settings) error {
		s.run.Binary = &b
		s.runtimeName = RuntimeProcess
		return nil
	}
}

// WithRegistryImage runs any registry image with the rendered config
// mounted (Distribution's paths and ports by default); it implies the
// docker runtime.
func WithRegistryImage(img runtime.RegistryImage) Option {
	return func(s *settings) error {
		if img.Image == "" {
			return errors.New("hookbench: WithRegistryImage without an image reference")
		}
		s.run.Image = &img
		s.runtimeName = RuntimeDocker
		return nil
	}
}

// WithReceiver puts the caller's own webhook receiver behind endpoint
// name's fake (proxy mode): the scenario's faults apply in front of it and
// the ledger records what it answered.
func WithReceiver(name, url string) Option {
	return func(s *settings) error {
		if s.run.Receivers == nil {
			s.run.Receivers = map[string]string{}
		}
		s.run.Receivers[name] = url
		return nil
	}
}

// WithLoadOverride replaces every load phase's rate (hits/s), count and
// duration where non-zero; the scenario's final counters are then not
// checked (reconciliation still is).
func WithLoadOverride(rate float64, count int, duration time.Duration) Option {
	return func(s *settings) error {
		s.run.Rate, s.run.Count, s.run.Duration = rate, count, duration
		return nil
	}
}

// WithDrainTimeout bounds the wait for every endpoint to settle after the load.
func WithDrainTimeout(d time.Duration) Option {
	return func(s *settings) error { s.run.DrainTimeout = d; return nil }
}

// WithLogf receives the run's chaos and phase messages.
func WithLogf(f func(format string, args ...any)) Option {
	return func(s *settings) error { s.run.Logf = f; return nil }
}

// WithModuleRoot is where the hookbench module's source is, for the
// process and docker runtimes, which build its programs. Default: `go list
// -m github.com/hookbench/hookbench` from the working directory (the
// module cache, or a replace directive's directory).
func WithModuleRoot(dir string) Option {
	return func(s *settings) error { s.moduleRoot = dir; return nil }
}

// WithBinDir gives the process runtime prebuilt registry and fake-endpoint
// binaries instead of building them.
func WithBinDir(dir string) Option {
	return func(s *settings) error { s.binDir = dir; return nil }
}

// Instance is one run: its runtime (still running until Terminate) and its
// result.
type Instance struct {
	rt         runtime.Runtime
	res        *Result
	cleanup    func()
	terminated bool
}

// Run starts the runtime, runs the scenario (WithScenario,
// WithScenarioValue or WithLoad; exactly one) and returns the instance
// with its result. The error is for a run that could not happen; a run
// whose checks failed returns an Instance whose Result().Err() is non-nil.
// On error nothing is left running.
func Run(ctx context.Context, opts ...Option) (*Instance, error) {
	s := settings{runtimeName: RuntimeInProcess}
	for _, o := range opts {
		if err := o(&s); err != nil {
			return nil, err
		}
	}
	sc, err := s.scenarioToRun()
	if err != nil {
		return nil, err
	}
	inst := &Instance{cleanup: func() {}}
	if inst.rt, inst.cleanup, err = s.newRuntime(ctx); err != nil {
		return nil, err
	}
	res, err := harness.Run(ctx, inst.rt, sc, s.run)
	if err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return nil, errors.Join(err, inst.Terminate(cctx))
	}
	inst.res = res
	return inst, nil
}

func (s *settings) scenarioToRun() (model.Scenario, error) {
	given := 0
	for _, set := range []bool{s.name != "", s.scenario != nil, s.load != nil} {
		if set {
			given++
		}
	}
	if given != 1 {
		return model.Scenario{}, errors.New("hookbench: give exactly one of WithScenario, WithScenarioFile, WithScenarioValue and WithLoad")
	}
	switch {
	case s.scenario != nil:
		return *s.scenario, nil
	case s.load != nil:
		return model.Scenario{Name: "load", Description: "load phases against one healthy receiver",
			Registry: model.RegistryFragment{DeleteEnabled: true}, Endpoints: []model.EndpointDef{{Name: LoadEndpoint}}, Load: s.load}, nil
	}
	return Builtin(s.name)
}

// Builtin returns the built-in scenario of that name as a value, to adjust
// (an endpoint's timeout, a load phase) and run with WithScenarioValue.
func Builtin(name string) (Scenario, error) {
	cat, err := scenarios.Catalog()
	if err != nil {
		return model.Scenario{}, err
	}
	sc, ok := cat.Get(name)
	if !ok {
		var names []string
		for _, c := range cat.All() {
			names = append(names, c.Name)
		}
		return model.Scenario{}, fmt.Errorf("hookbench: no built-in scenario %q (have: %s)", name, strings.Join(names, ", "))
	}
	return sc, nil
}

func (s *settings) newRuntime(ctx context.Context) (runtime.Runtime, func(), error) {
	rt, cleanup, err := s.baseRuntime(ctx)
	if err != nil || s.external == nil {
		return rt, cleanup, err
	}
	return runtime.WithExternal(rt, *s.external), cleanup, nil
}

func (s *settings) baseRuntime(ctx context.Context) (runtime.Runtime, func(), error) {
	none := func() {}
	if s.rt != nil {
		return s.rt, none, nil
	}
	switch s.runtimeName {
	case RuntimeProcess:
		bins := process.Binaries{Registry: filepath.Join(s.binDir, "registry"), FakeEndpoint: filepath.Join(s.binDir, "fake-endpoint")}
		cleanup := none
		if s.binDir == "" {
			root, err := s.root(ctx)
			if err != nil {
				return nil, none, err
			}
			tmp, err := os.MkdirTemp("", "hookbench-bin-")
			if err != nil {
				return nil, none, err
			}
			cleanup = func() { os.RemoveAll(tmp) }
			progs := []string{"registry", "fake-endpoint"}
			if s.run.Binary != nil {
				progs = progs[1:] // another registry: only the fake is ours
			}
			if bins, err = process.Build(ctx, root, tmp, progs...); err != nil {
				cleanup()
				return nil, none, err
			}
		}
		rt, err := process.New(bins)
		if err != nil {
			cleanup()
			return nil, none, err
		}
		return rt, cleanup, nil
	case RuntimeDocker:
		root, err := s.root(ctx)
		if err != nil {
			return nil, none, err
		}
		images, err := docker.BuildImages(ctx, root)
		if err != nil {
			return nil, none, err
		}
		var opts []docker.Option
		if s.run.Logf != nil {
			opts = append(opts, docker.WithLogf(s.run.Logf))
		}
		rt, err := docker.New(ctx, images, opts...)
		return rt, none, err
	}
	rt, err := inprocess.New()
	return rt, none, err
}

// root is the hookbench module's source directory.
func (s *settings) root(ctx context.Context) (string, error) {
	if s.moduleRoot != "" {
		return s.moduleRoot, nil
	}
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/hookbench/hookbench").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		return "", fmt.Errorf("hookbench: cannot find the hookbench module's source for building its programs (use WithModuleRoot or WithBinDir): %v", err)
	}
	return dir, nil
}

// Result is the run's result: counters, ledgers, samples and the verdict.
func (i *Instance) Result() *Result { return i.res }

// Err is nil when every check of the verdict held; otherwise it names
// every failed check.
func (i *Instance) Err() error { return i.res.Err() }

// Runtime is the runtime the scenario ran on, still running until
// Terminate (e.g. to read a fake's ledger once more).
func (i *Instance) Runtime() runtime.Runtime { return i.rt }

// Terminate stops everything the instance started and removes what it
// made (temp dirs, containers, networks). Safe to call twice.
func (i *Instance) Terminate(ctx context.Context) error {
	if i == nil || i.rt == nil || i.terminated {
		return nil
	}
	i.terminated = true
	err := i.rt.Close(ctx)
	i.cleanup()
	return err
}
