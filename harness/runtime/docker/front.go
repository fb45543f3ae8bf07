package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	fake "github.com/hookbench/hookbench/fakes/endpoint"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/hookbench/hookbench/harness/runtime"
)

// front is the harness's view of one fake endpoint's admin API: a loopback
// server that forwards to the container's current host port and keeps what
// earlier incarnations of the container witnessed. A killed container loses
// its in-memory ledger; the harness must still see every delivery it ever
// answered, so GET /ledger and GET /stats merge the saved ledgers with the
// live one.
type front struct {
	// resolve returns the container's admin API base URL as published now.
	resolve func(ctx context.Context) (string, error)
	srv     *http.Server
	url     string
	hc      *http.Client

	mu        sync.Mutex
	target    *url.URL
	profile   []byte // last profile PUT through the front, re-applied after a restart
	down      bool   // the container is stopped: answer from what was saved
	past      []fake.Delivery
	pastStats []fake.Stats
}

func newFront(resolve func(ctx context.Context) (string, error)) (*front, error) {
	f := &front{resolve: resolve, hc: &http.Client{Timeout: 10 * time.Second}}
	if err := f.refresh(context.Background()); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f.url = "http://" + ln.Addr().String()
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(ln)
	return f, nil
}

// URL is the admin API base URL for the harness.
func (f *front) URL() string { return f.url }

// Close stops the front server.
func (f *front) Close() error { return f.srv.Close() }

// refresh reads the container's current admin host port (it changes when
// the container is started again).
func (f *front) refresh(ctx context.Context) error {
	u, err := f.resolve(ctx)
	if err != nil {
		return fmt.Errorf("fake admin port: %w", err)
	}
	t, err := url.Parse(u)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.target = t
	f.mu.Unlock()
	return nil
}

func (f *front) base() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.target.String()
}

// snapshot saves the live ledger and counters before the container dies.
func (f *front) snapshot(ctx context.Context) error {
	c := fake.NewClient(f.base())
	st, err := c.Stats(ctx)
	if err != nil {
		return err
	}
	ds, err := c.Ledger(ctx, fake.Filter{})
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.past = append(f.past, ds...)
	f.pastStats = append(f.pastStats, st)
	f.down = true
	f.mu.Unlock()
	return nil
}

// restarted follows the container to its new port, waits for it and
// re-applies the last profile set through the front.
func (f *front) restarted(ctx context.Context) error {
	deadline := time.Now().Add(runtime.DefaultStartTimeout)
	for {
		err := f.refresh(ctx)
		if err == nil {
			err = fake.NewClient(f.base()).Healthz(ctx)
		}
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	f.mu.Lock()
	p := f.profile
	f.down = false
	f.mu.Unlock()
	if p == nil {
		return nil
	}
	return fake.NewClient(f.base()).SetProfileJSON(ctx, p)
}

func (f *front) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	f.mu.Lock()
	merging, down := len(f.pastStats) > 0, f.down
	f.mu.Unlock()
	switch {
	case req.Method == http.MethodGet && req.URL.Path == "/ledger" && merging:
		f.serveLedger(w, req)
		return
	case req.Method == http.MethodGet && req.URL.Path == "/stats" && merging:
		f.serveStats(w, req)
		return
	case req.Method == http.MethodPut && req.URL.Path == "/fault":
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if down {
			// Applied when the container starts again.
			f.mu.Lock()
			f.profile = body
			f.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusRecorder{ResponseWriter: w}
		f.proxy().ServeHTTP(rec, req)
		if rec.status/100 == 2 {
			f.mu.Lock()
			f.profile = body
			f.mu.Unlock()
		}
		return
	case req.Method == http.MethodPost && req.URL.Path == "/reset":
		rec := &statusRecorder{ResponseWriter: w}
		f.proxy().ServeHTTP(rec, req)
		if rec.status/100 == 2 {
			f.mu.Lock()
			f.past, f.pastStats = nil, nil
			f.mu.Unlock()
		}
		return
	}
	f.proxy().ServeHTTP(w, req)
}

func (f *front) proxy() *httputil.ReverseProxy {
	f.mu.Lock()
	t := f.target
	f.mu.Unlock()
	p := httputil.NewSingleHostReverseProxy(t)
	p.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
		http.Error(w, "fake endpoint container unreachable: "+err.Error(), http.StatusBadGateway)
	}
	return p
}

// merged is every delivery of every incarnation, Attempt renumbered.
// While the container is stopped only the saved incarnations count.
func (f *front) merged(ctx context.Context) ([]fake.Delivery, []fake.Stats, error) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	var live []fake.Delivery
	var stats []fake.Stats
	if !down {
		c := fake.NewClient(f.base())
		var err error
		if live, err = c.Ledger(ctx, fake.Filter{}); err != nil {
			return nil, nil, err
		}
		st, err := c.Stats(ctx)
		if err != nil {
			return nil, nil, err
		}
		stats = append(stats, st)
	}
	f.mu.Lock()
	all := append(append([]fake.Delivery(nil), f.past...), live...)
	stats = append(append([]fake.Stats(nil), f.pastStats...), stats...)
	f.mu.Unlock()
	seen := map[string]int{}
	for i := range all {
		seen[all[i].ID]++
		all[i].Attempt = seen[all[i].ID]
	}
	return all, stats, nil
}

func (f *front) serveLedger(w http.ResponseWriter, req *http.Request) {
	all, _, err := f.merged(req.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	writeJSON(w, all)
}

func (f *front) serveStats(w http.ResponseWriter, req *http.Request) {
	all, stats, err := f.merged(req.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	var sum fake.Stats
	sum.Statuses = map[string]int{}
	for _, s := range stats {
		sum.Deliveries += s.Deliveries
		sum.Events += s.Events
		sum.Resets += s.Resets
		sum.Hangs += s.Hangs
		sum.BadRequests += s.BadRequests
		for k, v := range s.Statuses {
			sum.Statuses[k] += v
		}
	}
	// An event accepted by one incarnation and again by the next is a
	// duplicate neither could see alone.
	unique := map[string]bool{}
	for _, d := range all {
		if d.Accepted() {
			unique[d.ID] = true
		}
	}
	sum.Unique = len(unique)
	sum.Duplicates = sum.Events - sum.Unique
	writeJSON(w, sum)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
