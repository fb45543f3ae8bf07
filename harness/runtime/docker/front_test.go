package docker

import (
	"context"
	"encoding/json"
	fake "github.com/hookbench/hookbench/fakes/endpoint"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// fakeAdmin is one incarnation of a fake endpoint's admin API.
type fakeAdmin struct {
	mu      sync.Mutex
	ledger  []fake.Delivery
	stats   fake.Stats
	profile string
	srv     *httptest.Server
}

func newFakeAdmin(t *testing.T, ds []fake.Delivery, st fake.Stats) *fakeAdmin {
	a := &fakeAdmin{ledger: ds, stats: st}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		switch r.URL.Path {
		case "/ledger":
			json.NewEncoder(w).Encode(a.ledger) // a plain array, as fakes/endpoint serves it
		case "/stats":
			json.NewEncoder(w).Encode(a.stats)
		case "/healthz":
		case "/fault":
			b, _ := io.ReadAll(r.Body)
			a.profile = string(b)
		case "/reset":
			a.ledger, a.stats = nil, fake.Stats{}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func TestFrontMergesIncarnations(t *testing.T) {
	ctx := context.Background()
	ok := func(id string) fake.Delivery {
		return fake.Delivery{ID: id, Status: 200, Attempt: 1, Outcome: "answered"}
	}
	first := newFakeAdmin(t, []fake.Delivery{ok("a"), ok("b")},
		fake.Stats{Deliveries: 2, Events: 2, Unique: 2, Statuses: map[string]int{"200 OK": 2}})
	second := newFakeAdmin(t, []fake.Delivery{ok("b"), {ID: "c", Status: 500, Attempt: 1}, ok("c")},
		fake.Stats{Deliveries: 3, Events: 2, Unique: 2, Statuses: map[string]int{"200 OK": 2, "500 Internal Server Error": 1}, Resets: 1})

	var mu sync.Mutex
	current := first.srv.URL
	f, err := newFront(func(context.Context) (string, error) { mu.Lock(); defer mu.Unlock(); return current, nil })
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := fake.NewClient(f.URL())

	// Before any restart the front passes the fake's answers through.
	if st, err := c.Stats(ctx); err != nil || st.Events != 2 {
		t.Fatalf("pass-through stats = %+v, %v", st, err)
	}
	if err := c.SetProfileJSON(ctx, []byte(`{"status":500}`)); err != nil {
		t.Fatal(err)
	}
	if first.profile != `{"status":500}` {
		t.Errorf("profile not forwarded: %q", first.profile)
	}

	if err := f.snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	// Stopped: what was saved answers; a profile waits for the restart.
	first.srv.Close()
	if st, err := c.Stats(ctx); err != nil || st.Events != 2 || st.Unique != 2 {
		t.Errorf("stats while stopped = %+v, %v", st, err)
	}
	if ds, err := c.Ledger(ctx, fake.Filter{}); err != nil || len(ds) != 2 {
		t.Errorf("ledger while stopped = %v, %v", ds, err)
	}
	if err := c.SetProfileJSON(ctx, []byte(`{"status":503}`)); err != nil {
		t.Errorf("profile while stopped: %v", err)
	}
	mu.Lock()
	current = second.srv.URL
	mu.Unlock()
	if err := f.restarted(ctx); err != nil {
		t.Fatal(err)
	}
	if second.profile != `{"status":503}` {
		t.Errorf("profile not re-applied after restart: %q", second.profile)
	}

	ds, err := c.Ledger(ctx, fake.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var attempts []int
	for _, d := range ds {
		attempts = append(attempts, d.Attempt)
	}
	if want := []int{1, 1, 2, 1, 2}; !equalInts(attempts, want) {
		t.Errorf("merged attempts = %v, want %v", attempts, want)
	}
	st, err := c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Deliveries != 5 || st.Events != 4 || st.Unique != 3 || st.Duplicates != 1 || st.Resets != 1 ||
		st.Statuses["200 OK"] != 4 || st.Statuses["500 Internal Server Error"] != 1 {
		t.Errorf("merged stats = %+v", st)
	}

	// Reset forgets earlier incarnations too.
	if err := c.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Stats(ctx); err != nil || st.Events != 0 || st.Deliveries != 0 {
		t.Errorf("stats after reset = %+v, %v", st, err)
	}
}

func TestFrontReportsUnreachableContainer(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	f, err := newFront(func(context.Context) (string, error) { return url, nil })
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = fake.NewClient(f.URL()).Healthz(context.Background())
	if err == nil {
		t.Fatal("healthz of a dead container succeeded")
	}
	t.Log(err)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
