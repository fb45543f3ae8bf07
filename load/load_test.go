package load_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbench/hookbench/load"
	"github.com/hookbench/hookbench/registry"
	"github.com/hookbench/hookbench/registry/storage/inmemory"
)

// recorder keeps every Action the registry reports.
type recorder struct {
	mu      sync.Mutex
	actions []registry.Action
}

func (r *recorder) Notify(_ context.Context, a registry.Action) {
	r.mu.Lock()
	r.actions = append(r.actions, a)
	r.mu.Unlock()
}

func (r *recorder) count(v registry.Verb, o registry.Object) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, a := range r.actions {
		if a.Verb == v && a.Object == o {
			n++
		}
	}
	return n
}

func newRegistry(t *testing.T) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(registry.New(registry.WithStorage(inmemory.New()), registry.WithListener(rec), registry.WithDelete(true)))
	t.Cleanup(srv.Close)
	return srv, rec
}

func TestLoadPhasesLedgerMatchesRegistryActions(t *testing.T) {
	srv, rec := newRegistry(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	led := &load.Ledger{}
	phases := []load.Profile{
		{Op: load.OpManifestPush, Count: 30, Repositories: 3, Pacing: load.Pacing{Rate: 300}},
		{Op: load.OpBlobPush, Count: 10, Upload: "two-step", Pacing: load.Pacing{Rate: 300}, RepoPrefix: "two"},
		{Op: load.OpBlobPush, Count: 10, Upload: "single", Pacing: load.Pacing{Rate: 300}, RepoPrefix: "one"},
		{Op: load.OpPull, Count: 7, Pacing: load.Pacing{Rate: 300}, RepoPrefix: "pull"},
		{Op: load.OpPull, Count: 3, Method: "HEAD", Pacing: load.Pacing{Rate: 300}, RepoPrefix: "head"},
		{Op: load.OpDelete, Count: 4, Pacing: load.Pacing{Rate: 300}, RepoPrefix: "del"},
	}
	want := 0
	for _, p := range phases {
		res, err := load.Run(ctx, load.Target{URL: srv.URL, SingleRequestUpload: true}, p, led, nil)
		if err != nil {
			t.Fatalf("%s: %v", p.Op, err)
		}
		if res.Metrics.Requests != uint64(p.Count) || res.Metrics.Success != 1 {
			t.Fatalf("%s: %d requests, success %.2f, errors %v", p.Op, res.Metrics.Requests, res.Metrics.Success, res.Metrics.Errors)
		}
		want += p.Expected()
	}
	if led.Len() != want {
		t.Fatalf("ledger has %d entries, the profiles owe %d", led.Len(), want)
	}
	checks := []struct {
		action, kind string
		v            registry.Verb
		o            registry.Object
	}{
		{"push", "blob", registry.Push, registry.Blob},
		{"push", "manifest", registry.Push, registry.Manifest},
		{"pull", "manifest", registry.Pull, registry.Manifest},
		{"delete", "manifest", registry.Delete, registry.Manifest},
	}
	for _, c := range checks {
		if got, reg := led.Count(c.action, c.kind), rec.count(c.v, c.o); got != reg {
			t.Errorf("%s %s: ledger %d, registry reported %d", c.action, c.kind, got, reg)
		}
	}
}

func TestCountBoundedAndPacing(t *testing.T) {
	srv, _ := newRegistry(t)
	led := &load.Ledger{}
	start := time.Now()
	res, err := load.Run(context.Background(), load.Target{URL: srv.URL}, load.Profile{Op: load.OpBlobPush, Count: 20, Pacing: load.Pacing{Rate: 40}}, led, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Metrics.Requests != 20 || led.Len() != 20 {
		t.Fatalf("requests %d ledger %d, want 20", res.Metrics.Requests, led.Len())
	}
	// 20 hits at 40/s take about half a second; far less means no pacing.
	if el := time.Since(start); el < 400*time.Millisecond {
		t.Fatalf("20 hits at 40/s took %s", el)
	}
}

// Re-pushing a bounded set of manifests: hits for the same URL overlap in
// flight (16 workers over 6 URLs), and every success is still exactly one
// ledger entry while the registry keeps Distinct tags per repository.
func TestDistinctManifestPushLedgerCountsEveryPut(t *testing.T) {
	srv, rec := newRegistry(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	led := &load.Ledger{}
	p := load.Profile{Op: load.OpManifestPush, Count: 200, Distinct: 3, Repositories: 2, Workers: 16}
	res, err := load.Run(ctx, load.Target{URL: srv.URL}, p, led, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Metrics.StatusCodes["201"]; got != 200 || res.Metrics.Requests != 200 {
		t.Fatalf("%d requests, %d answered 201 (codes %v, errors %v); want 200 and 200", res.Metrics.Requests, got, res.Metrics.StatusCodes, res.Metrics.Errors)
	}
	if pushed := led.Len() - res.Seeded; pushed != 200 || led.Count("push", "manifest") != 200 {
		t.Fatalf("ledger: %d entries after seeding, %d manifest pushes; want 200", pushed, led.Count("push", "manifest"))
	}
	if led.Len() != p.Expected() {
		t.Fatalf("ledger has %d entries, the profile owes %d", led.Len(), p.Expected())
	}
	if reg := rec.count(registry.Push, registry.Manifest); reg != 200 {
		t.Fatalf("registry reported %d manifest pushes, want 200", reg)
	}
	for _, repo := range []string{"hookbench/load-0", "hookbench/load-1"} {
		resp, err := http.Get(srv.URL + "/v2/" + repo + "/tags/list")
		if err != nil {
			t.Fatal(err)
		}
		var list struct{ Tags []string }
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Tags) != 3 {
			t.Errorf("%s has %d tags, want 3 (Distinct)", repo, len(list.Tags))
		}
	}
}

func TestInvalidProfiles(t *testing.T) {
	for _, p := range []load.Profile{
		{Op: "nope", Count: 1},
		{Op: load.OpManifestPush},
		{Op: load.OpDelete, Duration: time.Second},
		{Op: load.OpPull, Count: 1, Method: "POST"},
		{Op: load.OpBlobPush, Count: 1, Pacing: load.Pacing{Shape: "sine", Rate: 10}},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
	for _, p := range []load.Profile{
		{Op: load.OpManifestPush, Count: 1, Distinct: -1},
		{Op: load.OpBlobPush, Count: 1, Distinct: 2},
		{Op: load.OpPull, Count: 1, Distinct: 2},
	} {
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "distinct") {
			t.Errorf("%+v: error %v, want one naming distinct", p, err)
		}
	}
	if err := (load.Profile{Op: load.OpManifestPush, Count: 1, Distinct: 2}).Validate(); err != nil {
		t.Errorf("distinct manifest-push: %v", err)
	}
}
