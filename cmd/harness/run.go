package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/report"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/docker"
	"github.com/hookbench/hookbench/harness/runtime/inprocess"
	"github.com/hookbench/hookbench/harness/runtime/process"
	"github.com/hookbench/hookbench/notifications"
)

func isTTY(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

type targetFlags struct {
	runtime, registryURL, debugURL, metricsPath, binary, configTemplate, binArgs, binDir string
	singleUpload                                                                         bool
	verbose                                                                              bool
	image                                                                                string           // --registry-image
	noTagQuery                                                                           bool             // --no-tag-query
	receivers                                                                            receivers        // --receiver NAME=URL
	topology                                                                             runtime.Topology // the scenario's, for docker-cluster
}

func (t *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.runtime, "runtime", "inprocess", "inprocess, process, docker or docker-cluster (images built offline, needs a Docker engine)")
	fs.StringVar(&t.registryURL, "registry-url", "", "an external registry's API URL (endpoints run in-process on 127.0.0.1)")
	fs.StringVar(&t.debugURL, "debug-url", "", "the external registry's debug server URL (/debug/vars)")
	fs.StringVar(&t.metricsPath, "metrics-path", "", "Prometheus path on the debug server, if any")
	fs.BoolVar(&t.singleUpload, "single-upload", false, "the external registry or binary completes POST ?digest= uploads (CNCF Distribution does not)")
	fs.StringVar(&t.binary, "registry-binary", "", "run this registry program as a child process (process runtime) instead of ours")
	fs.StringVar(&t.binArgs, "registry-args", "serve {{config}}", "arguments of --registry-binary or --registry-image; {{config}} is the rendered config path")
	fs.StringVar(&t.configTemplate, "config-template", "", "config.yml template for the registry: {{.Addr}} {{.DebugAddr}} {{.StorageDir}} {{.Notifications}}")
	fs.StringVar(&t.image, "registry-image", "", "docker runtime: run this registry image instead of ours, its rendered config at /etc/docker/registry/config.yml (args: --registry-args)")
	fs.BoolVar(&t.noTagQuery, "no-tag-query", false, "the external registry, binary or image ignores ?tag= on PUT by digest (CNCF Distribution does)")
	fs.Var(&t.receivers, "receiver", "NAME=URL: your own webhook receiver takes endpoint NAME's place behind the fake (proxy mode); repeatable")
	fs.StringVar(&t.binDir, "bin-dir", "", "process runtime: prebuilt registry and fake-endpoint binaries (default: go build into a temp dir)")
	fs.BoolVar(&t.verbose, "v", false, "verbose: load phases and chaos actions as they happen, container logs (docker runtime)")
}

// build makes the runtime and run options the flags ask for; an external
// registry wraps whichever runtime runs the endpoints.
func (t *targetFlags) build(ctx context.Context) (runtime.Runtime, harness.RunOptions, func(), error) {
	rt, o, cleanup, err := t.buildRuntime(ctx)
	if err != nil || t.registryURL == "" {
		return rt, o, cleanup, err
	}
	return runtime.WithExternal(rt, runtime.ExternalRegistry{URL: t.registryURL, DebugURL: t.debugURL,
		MetricsPath: t.metricsPath, SingleRequestUpload: t.singleUpload, NoTagQuery: t.noTagQuery}), o, cleanup, nil
}

func (t *targetFlags) buildRuntime(ctx context.Context) (runtime.Runtime, harness.RunOptions, func(), error) {
	var o harness.RunOptions
	cleanup := func() {}
	if t.configTemplate != "" {
		b, err := os.ReadFile(t.configTemplate)
		if err != nil {
			return nil, o, cleanup, err
		}
		o.ConfigTemplate = string(b)
	}
	if t.registryURL != "" && t.binary != "" {
		return nil, o, cleanup, errors.New("--registry-url and --registry-binary exclude each other")
	}
	o.Receivers = t.receivers.m
	if t.image != "" && (t.binary != "" || t.registryURL != "") {
		return nil, o, cleanup, errors.New("--registry-image excludes --registry-binary and --registry-url")
	}
	if t.binary != "" {
		t.runtime = "process"
		o.Binary = &runtime.BinaryRegistry{Path: t.binary, Args: strings.Fields(t.binArgs), SingleRequestUpload: t.singleUpload, NoTagQuery: t.noTagQuery}
	}
	if t.image != "" {
		t.runtime = "docker"
		o.Image = &runtime.RegistryImage{Image: t.image, Args: strings.Fields(t.binArgs), SingleRequestUpload: t.singleUpload, NoTagQuery: t.noTagQuery}
	}
	switch t.runtime {
	case "inprocess":
		rt, err := inprocess.New()
		return rt, o, cleanup, err
	case "process":
		dir := t.binDir
		bins := process.Binaries{Registry: filepath.Join(dir, "registry"), FakeEndpoint: filepath.Join(dir, "fake-endpoint")}
		if dir == "" {
			tmp, err := os.MkdirTemp("", "hookbench-bin-")
			if err != nil {
				return nil, o, cleanup, err
			}
			cleanup = func() { os.RemoveAll(tmp) }
			progs := []string{"registry", "fake-endpoint"}
			if t.binary != "" {
				progs = progs[1:] // another registry: only the fake is ours
			}
			fmt.Fprintf(os.Stderr, "building %v ...\n", progs)
			if bins, err = process.Build(ctx, ".", tmp, progs...); err != nil {
				return nil, o, cleanup, err
			}
		}
		rt, err := process.New(bins)
		return rt, o, cleanup, err
	case "docker":
		if o.Binary != nil {
			return nil, o, cleanup, errors.New("--registry-binary needs --runtime process")
		}
		// Leftovers of a killed run would collide with this one's names.
		if _, err := docker.Cleanup(ctx); err != nil {
			return nil, o, cleanup, err
		}
		images, err := docker.BuildImages(ctx, ".")
		if err != nil {
			return nil, o, cleanup, err
		}
		var opts []docker.Option
		if t.verbose {
			opts = append(opts, docker.WithContainerLogger(log.New(os.Stderr, "", log.LstdFlags)), docker.WithLogf(func(format string, args ...any) {
				fmt.Fprintf(os.Stderr, format+"\n", args...)
			}))
		} else {
			// testcontainers also prints, once per process, what Docker it
			// found, through its default logger: this program's to set.
			tclog.SetDefault(tclog.NewNoopLogger())
		}
		rt, err := docker.New(ctx, images, opts...)
		return rt, o, cleanup, err
	case "docker-cluster":
		return newClusterRuntime(ctx, t.topology, o, cleanup)
	}
	return nil, o, cleanup, fmt.Errorf("unknown runtime %q (inprocess, process, docker, docker-cluster)", t.runtime)
}

func cmdRun(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var t targetFlags
	t.register(fs)
	rate := fs.Float64("rate", 0, "override every load phase's rate (hits/s)")
	duration := fs.Duration("duration", 0, "override every load phase's duration")
	count := fs.Int("count", 0, "override every load phase's count")
	out := fs.String("out", "", "write report.json (with events.json.gz beside it), report.txt and report.html here")
	jsonOut := fs.Bool("json", false, "print the summary (report.json without detail) on stdout and nothing else; the table goes to stderr")
	detail := fs.Bool("detail", false, "per-event detail (ledger, deliveries, samples, hits) inside report.json and --json instead of events.json.gz")
	drain := fs.Duration("drain-timeout", 0, "override the scenario's drain timeout")
	file := fs.String("f", "", "run the scenario in this file (YAML or JSON, - for stdin) instead of a built-in one")
	var faults notifications.Faults
	fs.IntVar(&faults.DropOneIn, "fault-drop-one-in", 0, "self-test (in-process only): the notifier drops one event in N")
	fs.BoolVar(&faults.ForgetPendingDecrement, "fault-forget-pending", false, "self-test: the notifier never decrements Pending")
	fs.BoolVar(&faults.CountFailureAsSuccess, "fault-failure-as-success", false, "self-test: the notifier counts failures as successes")
	// Flags may follow the scenario name.
	name := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	sc, err := scenarioFor(name, *file)
	if err != nil {
		return 2, err
	}
	t.topology = sc.Topology
	rt, o, cleanup, err := t.build(ctx)
	defer cleanup()
	if err != nil {
		return exitUsage, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = rt.Close(cctx)
	}()
	o.Rate, o.Duration, o.Count, o.DrainTimeout, o.Faults = *rate, *duration, *count, *drain, faults
	live := report.NewLive(os.Stderr, isTTY(os.Stderr), 5*time.Second)
	o.Progress = live.Update
	// Load phases and chaos as they happen only with -v: the table
	// prints the chaos timeline once, with its parameters.
	o.Logf = func(format string, a ...any) {
		if t.verbose {
			live.Logf(format, a...)
		}
	}
	fmt.Fprintf(os.Stderr, "scenario %s on %s runtime\n", sc.Name, rt.Name())
	res, err := harness.Run(ctx, rt, sc, o)
	live.Done()
	if err != nil {
		return exitUsage, err
	}
	var opts []report.Option
	if *detail {
		opts = append(opts, report.WithDetail())
	}
	return finish(rt, res, *out, *jsonOut, opts)
}

// finish writes what a finished (or interrupted) run produced: the table
// (stdout, or stderr under --json), the reports, the summary under
// --json, and says which exit status the verdict means.
func finish(rt runtime.Runtime, res *harness.Result, out string, jsonOut bool, opts []report.Option) (int, error) {
	// The run's context may be over (interrupted): what is left is bounded.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	verdict := report.VerdictOf(res)
	if ls, ok := rt.(runtime.LogSaver); ok && out != "" && verdict != report.VerdictPass {
		_ = ls.SaveLogs(ctx, filepath.Join(out, "logs"))
	}
	table := io.Writer(os.Stdout)
	if jsonOut {
		table = os.Stderr
	}
	report.Text(table, res)
	if out != "" {
		if err := report.WriteAll(out, res, opts...); err != nil {
			return exitUsage, err
		}
		fmt.Fprintf(os.Stderr, "reports: %s/report.{json,txt,html} (verdict %s)\n", out, verdict)
	}
	if jsonOut {
		if err := report.EncodeSummary(os.Stdout, res, opts...); err != nil {
			return exitUsage, err
		}
	}
	switch verdict {
	case report.VerdictInterrupted:
		fmt.Fprintln(os.Stderr, "interrupted: the reports describe a partial run")
		return exitInterrupted, nil
	case report.VerdictFail:
		fmt.Fprintln(os.Stderr, res.Err())
		return exitFail, nil
	}
	return exitPass, nil
}
