package process_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/process"
	"github.com/hookbench/hookbench/notifications"
)

func TestChildProcessesAndRealSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bins, err := process.Build(ctx, "../../..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rt, err := process.New(bins)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	ep, err := rt.NewEndpoint(ctx, runtime.EndpointSpec{Name: "sink"})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := model.ConfigTemplateFor(model.RegistryFragment{}, []model.EndpointDef{{Name: "sink"}}, map[string]string{"sink": ep.RegistryURL})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := rt.StartRegistry(ctx, runtime.RegistrySpec{ConfigTemplate: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 300 * time.Millisecond}
	get := func(u string) error {
		resp, err := client.Get(u)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	// Pause: a frozen receiver accepts the connection and never answers.
	if err := rt.PauseEndpoint(ctx, "sink"); err != nil {
		t.Fatal(err)
	}
	// SIGSTOP is delivered asynchronously: poll until the receiver is frozen.
	frozen := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if get(ep.AdminURL+"/healthz") != nil {
			frozen = true
			break
		}
	}
	if !frozen {
		t.Fatal("paused endpoint kept answering")
	}
	if err := rt.UnpauseEndpoint(ctx, "sink"); err != nil {
		t.Fatal(err)
	}
	if err := get(ep.AdminURL + "/healthz"); err != nil {
		t.Fatalf("unpaused endpoint: %v", err)
	}
	// Kill -9 and restart on the same address.
	if err := rt.KillRegistry(ctx); err != nil {
		t.Fatal(err)
	}
	if err := get(reg.URL + "/v2/"); err == nil {
		t.Fatal("killed registry answered")
	}
	if err := rt.RestartRegistry(ctx); err != nil {
		t.Fatal(err)
	}
	if err := get(reg.URL + "/v2/"); err != nil {
		t.Fatalf("restarted registry: %v", err)
	}
	if err := (chaos.Partition{Endpoint: "sink"}).Check(rt); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("partition: %v, want ErrUnsupported", err)
	}
	if _, err := rt.StartRegistry(ctx, runtime.RegistrySpec{ConfigTemplate: tmpl, Faults: notifications.Faults{DropOneIn: 2}}); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("fault hooks in a process: %v, want ErrUnsupported", err)
	}
}
