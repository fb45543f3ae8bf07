package inprocess_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/inprocess"
)

func start(t *testing.T) (*inprocess.Runtime, runtime.Endpoint, runtime.Registry) {
	t.Helper()
	ctx := context.Background()
	rt, err := inprocess.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	ep, err := rt.NewEndpoint(ctx, runtime.EndpointSpec{Name: "sink", Profile: endpoint.Profile{Fault: endpoint.Fault{Status: 200}}})
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
	if _, err := observe.FetchVars(ctx, nil, again.DebugURL); err != nil {
		t.Fatal(err)
	}
}

func TestUnsupportedChaosSaysSo(t *testing.T) {
	rt, _, _ := start(t)
	ctx := context.Background()
	for _, a := range []chaos.Action{chaos.PauseEndpoint{Endpoint: "sink"}, chaos.Partition{Endpoint: "sink"}} {
		err := a.Check(rt)
		var u *chaos.UnsupportedError
		if !errors.Is(err, errors.ErrUnsupported) || !errors.As(err, &u) || u.Action != a.Name() {
			t.Errorf("%s: %v, want an UnsupportedError naming it", a.Name(), err)
		}
		if err := a.Do(ctx, chaos.Env{Runtime: rt}); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s performed: %v", a.Name(), err)
		}
	}
	if err := rt.StopEndpoint(ctx, "nope"); err == nil {
		t.Error("unknown endpoint accepted")
	}
}

func TestNetworkFaultsByTheFakeItself(t *testing.T) {
	rt, ep, _ := start(t)
	ctx := context.Background()
	env := chaos.Env{Runtime: rt}
	deliver := func() error {
		resp, err := (&http.Client{Timeout: time.Second}).Post(ep.RegistryURL, endpoint.MediaTypeEvents,
			strings.NewReader(`{"events":[{"id":"e1","action":"push","target":{"repository":"r"}}]}`))
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := (chaos.ResetPeer{Endpoint: "sink"}).Do(ctx, env); err != nil {
		t.Fatal(err)
	}
	if err := deliver(); err == nil {
		t.Fatal("reset-peer: the receiver still answers")
	}
	if err := (chaos.ClearNetworkFaults{Endpoint: "sink"}).Do(ctx, env); err != nil {
		t.Fatal(err)
	}
	if err := deliver(); err != nil {
		t.Fatalf("cleared: %v", err)
	}
	if err := (chaos.Bandwidth{Endpoint: "sink", KBps: 64}).Check(rt); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("bandwidth in-process: %v, want refused", err)
	}
	st, err := endpoint.NewClient(ep.AdminURL).Stats(ctx)
	if err != nil || st.Resets != 1 {
		t.Fatalf("receiver counted %d resets (%v), want 1", st.Resets, err)
	}
}

func TestRegistryImageIsForDocker(t *testing.T) {
	rt, err := inprocess.New()
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	_, err = rt.StartRegistry(context.Background(), runtime.RegistrySpec{ConfigTemplate: "version: 0.1\n", Image: &runtime.RegistryImage{Image: "r:1"}})
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "docker") {
		t.Fatalf("want ErrUnsupported pointing at the docker runtime, got %v", err)
	}
}
