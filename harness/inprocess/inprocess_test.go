package inprocess_test

import (
	"context"
	"errors"
	"github.com/hookbench/hookbench/fakes/endpoint"
	"net/http"
	"testing"
	"time"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/inprocess"
)

func start(t *testing.T) (*inprocess.Runtime, harness.Endpoint, harness.Registry) {
	t.Helper()
	ctx := context.Background()
	rt, err := inprocess.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	ep, err := rt.NewEndpoint(ctx, harness.EndpointSpec{Name: "sink", Profile: []byte(`{"status":200}`)})
	if err != nil {
		t.Fatal(err)
	}
	sc := harness.Scenario{Name: "t", Endpoints: []harness.EndpointDef{{Name: "sink"}}}
	tmpl, err := sc.ConfigTemplate(map[string]string{"sink": ep.RegistryURL})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := rt.StartRegistry(ctx, harness.RegistrySpec{ConfigTemplate: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	return rt, ep, reg
}

func post(u string) error {
	resp, err := (&http.Client{Timeout: time.Second}).Post(u, "application/json", nil)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

func TestStopAndStartEndpointKeepsTheAddress(t *testing.T) {
	rt, ep, _ := start(t)
	ctx := context.Background()
	if err := post(ep.RegistryURL); err != nil {
		t.Fatalf("receiver not answering: %v", err)
	}
	if err := rt.StopEndpoint(ctx, "sink"); err != nil {
		t.Fatal(err)
	}
	if err := post(ep.RegistryURL); err == nil {
		t.Fatal("stopped receiver still answers")
	}
	if err := rt.StartEndpoint(ctx, "sink"); err != nil {
		t.Fatal(err)
	}
	if err := post(ep.RegistryURL); err != nil {
		t.Fatalf("restarted receiver not answering on the same URL: %v", err)
	}
	st, err := endpoint.NewClient(ep.AdminURL).Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Deliveries != 2 {
		t.Fatalf("receiver counted %d requests across the stop, want 2 (ledger kept)", st.Deliveries)
	}
}

func TestKillAndRestartRegistryOnTheSamePorts(t *testing.T) {
	rt, _, reg := start(t)
	ctx := context.Background()
	if err := rt.KillRegistry(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(reg.URL + "/v2/"); err == nil {
		t.Fatal("killed registry still answers")
	}
	if err := rt.RestartRegistry(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := rt.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if again.URL != reg.URL || again.DebugURL != reg.DebugURL {
		t.Fatalf("restart moved the registry: %+v -> %+v", reg, again)
	}
	if _, err := harness.FetchVars(ctx, nil, again.DebugURL); err != nil {
		t.Fatal(err)
	}
}

func TestUnsupportedChaosSaysSo(t *testing.T) {
	rt, _, _ := start(t)
	ctx := context.Background()
	for name, err := range map[string]error{
		"pause":     rt.PauseEndpoint(ctx, "sink"),
		"partition": rt.Partition(ctx, "sink"),
	} {
		var u *harness.ErrUnsupported
		if !errors.Is(err, errors.ErrUnsupported) || !errors.As(err, &u) {
			t.Errorf("%s: %v, want ErrUnsupported", name, err)
		}
	}
	if err := rt.StopEndpoint(ctx, "nope"); err == nil {
		t.Error("unknown endpoint accepted")
	}
}
