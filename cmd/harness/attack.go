package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/report"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/inprocess"
	"github.com/hookbench/hookbench/load"
)

func cmdAttack(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("attack", flag.ContinueOnError)
	url := fs.String("registry-url", "", "registry API URL")
	debugURL := fs.String("debug-url", "", "registry debug URL, to print its notification counters after the attack")
	inproc := fs.Bool("inprocess", false, "start our registry in-process with one healthy fake endpoint and attack it")
	single := fs.Bool("single-upload", false, "the registry completes POST ?digest= uploads")
	var p load.Profile
	fs.StringVar(&p.Op, "op", load.OpManifestPush, "manifest-push, blob-push, pull or delete")
	fs.StringVar(&p.Pacing.Shape, "shape", "constant", "constant, linear or sine")
	fs.Float64Var(&p.Pacing.Rate, "rate", 50, "hits/s (0: as fast as the workers go)")
	fs.Float64Var(&p.Pacing.Slope, "slope", 0, "linear: hits/s added per second")
	fs.Float64Var(&p.Pacing.Amp, "amp", 0, "sine: amplitude in hits/s")
	fs.DurationVar(&p.Pacing.Period, "period", 0, "sine: period")
	fs.DurationVar(&p.Duration, "duration", 0, "stop after this long")
	fs.IntVar(&p.Count, "count", 0, "stop after this many hits")
	fs.Uint64Var(&p.Workers, "workers", 8, "initial workers")
	fs.Uint64Var(&p.MaxWorkers, "max-workers", 0, "most workers (default 64, or --workers when --rate 0)")
	fs.IntVar(&p.Repositories, "repos", 1, "spread hits over this many repositories")
	fs.IntVar(&p.BlobSize, "blob-size", 256, "bytes per blob")
	fs.StringVar(&p.Upload, "upload", "", "single or two-step (default: what the registry supports)")
	out := fs.String("out", "", "write attack.json (vegeta metrics and hits) and ledger.json (what the accepted operations owe) here")
	procs := fs.Int("procs", 1, "run this many attacker processes, each with 1/N of --rate and --count, and merge their results into --out")
	merge := fs.String("merge", "", "merge the --out folders of attackers run elsewhere (comma-separated) into --out; attacks nothing")
	verbose := fs.Bool("v", false, "verbose: say what is attacked")
	if err := fs.Parse(args); err != nil {
		return exitUsage, err
	}
	if *merge != "" {
		return attackMerge(strings.Split(*merge, ","), *out)
	}
	if *procs > 1 {
		if *inproc {
			return exitUsage, errors.New("--procs attacks one registry from several processes: give --registry-url, not --inprocess")
		}
		return attackProcs(ctx, args, *procs, *out, p)
	}
	if p.Count == 0 && p.Duration == 0 {
		p.Duration = 10 * time.Second
	}
	target := load.Target{URL: *url, SingleRequestUpload: *single}
	if *inproc {
		rt, err := inprocess.New()
		if err != nil {
			return exitUsage, err
		}
		defer rt.Close(context.Background())
		ep, err := rt.NewEndpoint(ctx, runtime.EndpointSpec{Name: "sink"})
		if err != nil {
			return exitUsage, err
		}
		tmpl, err := model.ConfigTemplateFor(model.RegistryFragment{}, []model.EndpointDef{{Name: "sink", Timeout: 2 * time.Second}},
			map[string]string{"sink": ep.RegistryURL})
		if err != nil {
			return exitUsage, err
		}
		reg, err := rt.StartRegistry(ctx, runtime.RegistrySpec{ConfigTemplate: tmpl})
		if err != nil {
			return exitUsage, err
		}
		target.URL, target.SingleRequestUpload, *debugURL = reg.URL, reg.SingleRequestUpload, reg.DebugURL
	}
	if target.URL == "" {
		return exitUsage, errors.New("--registry-url or --inprocess is required")
	}
	if *verbose {
		fmt.Fprintf(os.Stderr, "attack %s: %s at %v/s (count %d, duration %s)\n", target.URL, p.Op, p.Pacing.Rate, p.Count, p.Duration)
	}
	ledger := &load.Ledger{}
	live := report.NewLive(os.Stderr, isTTY(os.Stderr), 5*time.Second)
	var hits atomic.Int64
	stop := attackProgress(ctx, live, &hits, ledger, p, *debugURL)
	res, err := load.Run(ctx, target, p, ledger, func(load.Hit) { hits.Add(1) })
	stop()
	live.Done()
	if err != nil {
		return exitUsage, err
	}
	if err := vegeta.NewTextReporter(&res.Metrics).Report(os.Stdout); err != nil {
		return exitUsage, err
	}
	fmt.Printf("accepted operations: %d (seeded %d)\n", ledger.Len(), res.Seeded)
	if *debugURL != "" {
		if v, err := observe.FetchVars(ctx, nil, *debugURL); err == nil {
			for _, e := range v.Registry.Notifications.Endpoints {
				fmt.Printf("endpoint %s: %s\n", e.Name, e.Metrics)
			}
		}
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return exitUsage, err
		}
		if err := writeAttack(*out, res, ledger.Entries()); err != nil {
			return exitUsage, err
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "interrupted: the figures cover the hits made")
		return exitInterrupted, nil
	}
	return exitPass, nil
}

// attackProgress shows the attack's progress on live a few times a
// second until stopped: hits against the plan, rate, ETA, and with a
// debug URL the registry's pending and delivered per endpoint.
func attackProgress(ctx context.Context, live *report.Live, hits *atomic.Int64, ledger *load.Ledger, p load.Profile, debugURL string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		type point struct {
			at time.Time
			n  int
		}
		window := []point{{start, 0}}
		client := &http.Client{Timeout: time.Second}
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				pr := harness.Progress{Elapsed: now.Sub(start), Phase: "load", Hits: int(hits.Load()), Pushed: ledger.Len(),
					TotalHits: p.Count, PlannedLoad: p.Duration, Pending: map[string]int{}, Delivered: map[string]int{}}
				window = append(window, point{now, pr.Hits})
				for len(window) > 2 && now.Sub(window[1].at) >= time.Second {
					window = window[1:]
				}
				if dt := now.Sub(window[0].at).Seconds(); dt > 0 {
					pr.HitRate = float64(pr.Hits-window[0].n) / dt
				}
				if debugURL != "" {
					if v, err := observe.FetchVars(ctx, client, debugURL); err == nil {
						for _, e := range v.Registry.Notifications.Endpoints {
							pr.Endpoints = append(pr.Endpoints, e.Name)
							pr.Pending[e.Name], pr.Delivered[e.Name] = e.Metrics.Pending, e.Metrics.Successes
						}
					}
				}
				live.Update(pr)
			}
		}
	}()
	return func() { cancel(); <-done }
}
