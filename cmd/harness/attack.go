package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/inprocess"
	"github.com/hookbench/hookbench/load"
)

func cmdAttack(ctx context.Context, args []string) error {
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
	out := fs.String("out", "", "write attack.json (vegeta metrics and hits) here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if p.Count == 0 && p.Duration == 0 {
		p.Duration = 10 * time.Second
	}
	target := load.Target{URL: *url, SingleRequestUpload: *single}
	if *inproc {
		rt, err := inprocess.New()
		if err != nil {
			return err
		}
		defer rt.Close(context.Background())
		ep, err := rt.NewEndpoint(ctx, runtime.EndpointSpec{Name: "sink"})
		if err != nil {
			return err
		}
		tmpl, err := model.ConfigTemplateFor(model.RegistryFragment{}, []model.EndpointDef{{Name: "sink", Timeout: 2 * time.Second}},
			map[string]string{"sink": ep.RegistryURL})
		if err != nil {
			return err
		}
		reg, err := rt.StartRegistry(ctx, runtime.RegistrySpec{ConfigTemplate: tmpl})
		if err != nil {
			return err
		}
		target.URL, target.SingleRequestUpload, *debugURL = reg.URL, reg.SingleRequestUpload, reg.DebugURL
	}
	if target.URL == "" {
		return errors.New("--registry-url or --inprocess is required")
	}
	ledger := &load.Ledger{}
	res, err := load.Run(ctx, target, p, ledger, nil)
	if err != nil {
		return err
	}
	if err := vegeta.NewTextReporter(&res.Metrics).Report(os.Stdout); err != nil {
		return err
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
			return err
		}
		b, err := json.MarshalIndent(res, "", " ")
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(*out, "attack.json"), b, 0o644)
	}
	return nil
}
