package load_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/load"
	"github.com/hookbench/hookbench/registry"
	"github.com/hookbench/hookbench/registry/storage/inmemory"
)

// distributionLike makes our registry answer as CNCF Distribution does
// where the load declares differences: POST ?digest= with a body opens a
// session (202, body ignored) and PUT by digest ignores ?tag=.
func distributionLike(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/blobs/uploads/") && q.Get("digest") != "":
			_, _ = io.Copy(io.Discard, r.Body)
			r.URL.RawQuery, r.Body, r.ContentLength = "", http.NoBody, 0
		case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/sha256:") && q.Has("tag"):
			r.URL.RawQuery = ""
		}
		h.ServeHTTP(w, r)
	})
}

// Declared differences change what the load owes, exactly and visibly:
// the registry reports as many actions as the ledger holds, and the result
// lists every difference used.
func TestDeclaredDifferences(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(distributionLike(registry.New(registry.WithStorage(inmemory.New()), registry.WithListener(rec), registry.WithDelete(true))))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	target := load.Target{URL: srv.URL, NoTagQuery: true}
	p := load.Profile{Op: load.OpMixed, Count: 2 * len(load.Operations()), Repositories: 2, Pacing: load.Pacing{Rate: 200}}
	led := &load.Ledger{}
	res, err := load.Run(ctx, target, p, led, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Metrics.Success != 1 {
		t.Fatalf("success %.2f, codes %v, errors %v", res.Metrics.Success, res.Metrics.StatusCodes, res.Metrics.Errors)
	}
	if len(res.Declared) != 2 || !strings.Contains(res.Declared[0], load.OpUploadSinglePost) || !strings.Contains(res.Declared[1], load.OpPushTags) {
		t.Fatalf("declared %q, want the single-request upload and ?tag= differences", res.Declared)
	}
	if want := p.ExpectedOn(target); led.Len() != want || want != p.Expected()-2*2 {
		t.Fatalf("ledger %d, ExpectedOn %d, Expected %d: ?tag= owes 2 events fewer per push", led.Len(), want, p.Expected())
	}
	rec.mu.Lock()
	n := len(rec.actions)
	rec.mu.Unlock()
	if n != led.Len() {
		t.Fatalf("registry reported %d actions, ledger owes %d", n, led.Len())
	}
	for _, e := range led.Entries() {
		if e.Op == load.OpUploadSinglePost && e.Method != http.MethodPut {
			t.Errorf("single-request upload completed by PUT owes a %s event", e.Method)
		}
		if e.Op == load.OpPushTags && e.Tag != "" {
			t.Errorf("?tag= ignored, yet a push event with tag %q is owed", e.Tag)
		}
	}
}

// Declaring a difference the registry does not have fails loudly: our
// registry honours ?tag=, so NoTagQuery leaves its tagged events unowed.
func TestWrongDeclarationIsVisible(t *testing.T) {
	srv, rec := newRegistry(t)
	p := load.Profile{Op: load.OpPushTags, Count: 2, Pacing: load.Pacing{Rate: 100}}
	led := &load.Ledger{}
	if _, err := load.Run(context.Background(), load.Target{URL: srv.URL, NoTagQuery: true}, p, led, nil); err != nil {
		t.Fatal(err)
	}
	if reg := rec.count(registry.Push, registry.Manifest); reg == led.Count("push", "manifest") {
		t.Fatalf("registry and ledger agree (%d) although the declaration is wrong", reg)
	}
}

func TestMixProfiles(t *testing.T) {
	for _, p := range []load.Profile{
		{Op: load.OpMixed, Count: 1, Mix: map[string]int{"nope": 1}},
		{Op: load.OpMixed, Count: 1, Mix: map[string]int{load.OpMount: -1}},
		{Op: load.OpMixed, Count: 1, Mix: map[string]int{load.OpMount: 0}},
		{Op: load.OpPushByTag, Count: 1, Mix: map[string]int{load.OpMount: 1}},
		{Op: load.OpUploadChunked, Count: 1, Chunks: -1},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
	p := load.Profile{Op: load.OpMixed, Count: 7, Mix: map[string]int{load.OpMount: 2, load.OpBlobGet: 1}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	// Sorted by name, by weight: blob-mount, blob-mount, blob-pull-get, ...
	if c := p.OpCounts(); c[load.OpMount] != 5 || c[load.OpBlobGet] != 2 {
		t.Fatalf("op counts %v", c)
	}
	if got, want := p.Expected(), 4+5*2+2*1; got != want {
		t.Fatalf("Expected %d, want %d", got, want)
	}
	all := load.Profile{Op: load.OpMixed, Count: len(load.Operations())}
	for op, n := range all.OpCounts() {
		if n != 1 {
			t.Errorf("default mix runs %s %d times in one cycle", op, n)
		}
	}
}
