package endpoint

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// receiver is a real webhook receiver for proxy tests: it remembers the
// event ids it got, in order, and answers status.
type receiver struct {
	mu      sync.Mutex
	ids     []string
	headers []http.Header
	status  int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var env struct{ Events []ev }
	_ = json.Unmarshal(b, &env)
	rc.mu.Lock()
	for _, e := range env.Events {
		rc.ids = append(rc.ids, e.ID)
	}
	rc.headers = append(rc.headers, r.Header.Clone())
	st := rc.status
	rc.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(st)
	io.WriteString(w, "from the real receiver")
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.ids...)
}

func newReceiver(t *testing.T, status int) (*receiver, *httptest.Server) {
	rc := &receiver{status: status}
	ts := httptest.NewServer(rc)
	t.Cleanup(ts.Close)
	return rc, ts
}

func TestProxyForwardsAndRecordsTheRealAnswer(t *testing.T) {
	rc, ts := newReceiver(t, http.StatusAccepted)
	s := start(t, WithProxy(ts.URL+"/hook"), WithProfile(Profile{Fault: Fault{Sequence: []int{500, 0}}}))
	_ = s
	c := fresh(2 * time.Second)
	a, b := newEv("r", "push"), newEv("r", "push")
	// First delivery: the fault answers 500, the receiver never sees it.
	st, err := post(c, s.URL(), a)
	mustStatus(t, st, err, 500)
	// Second: passes the fault, forwarded, the receiver's 202 comes back.
	req := request(t, s.URL(), body(b))
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("webhook-id", "msg_1")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 202 || string(msg) != "from the real receiver" {
		t.Fatalf("%d %q", resp.StatusCode, msg)
	}
	if got := rc.got(); len(got) != 1 || got[0] != b.ID {
		t.Fatalf("receiver got %v", got)
	}
	if h := rc.headers[0]; h.Get("Authorization") != "Bearer x" || h.Get("webhook-id") != "msg_1" || h.Get("Content-Type") != MediaTypeEvents {
		t.Fatalf("headers not forwarded: %v", h)
	}
	got := s.Stats()
	if got.Forwarded != 1 || got.Statuses["202 Accepted"] != 1 || got.Statuses["500 Internal Server Error"] != 1 || got.Delivered != 1 {
		t.Fatalf("stats %+v", got)
	}
	if rows := s.Ledger(Filter{ID: b.ID}); len(rows) != 1 || rows[0].Status != 202 {
		t.Fatalf("rows %+v", rows)
	}
}

func TestProxyUnreachableReceiverIs502(t *testing.T) {
	_, ts := newReceiver(t, 200)
	url := ts.URL
	ts.Close()
	s := start(t, WithProxy(url))
	st, err := post(fresh(2*time.Second), s.URL(), newEv("r", "push"))
	mustStatus(t, st, err, http.StatusBadGateway)
	if got := s.Stats(); got.ProxyErrors != 1 || got.Statuses["502 Bad Gateway"] != 1 {
		t.Fatalf("stats %+v", got)
	}
}

func TestProxyDuplicate(t *testing.T) {
	rc, ts := newReceiver(t, 200)
	s := start(t, WithProxy(ts.URL), WithProfile(Profile{Duplicate: 1}))
	e := newEv("r", "push")
	st, err := post(fresh(2*time.Second), s.URL(), e)
	mustStatus(t, st, err, 200)
	if got := rc.got(); len(got) != 2 || got[0] != e.ID || got[1] != e.ID {
		t.Fatalf("receiver got %v", got)
	}
	got := s.Stats()
	if got.Deliveries != 1 || got.Forwarded != 2 || got.Statuses["200 OK"] != 1 {
		t.Fatalf("stats %+v", got)
	}
	if rows := s.Ledger(Filter{Outcome: OutcomeProxyDup}); len(rows) != 1 || rows[0].Status != 200 {
		t.Fatalf("rows %+v", rows)
	}
}

func TestProxyReorder(t *testing.T) {
	rc, ts := newReceiver(t, 200)
	s := start(t, WithProxy(ts.URL), WithProfile(Profile{Reorder: 1}))
	a, b := newEv("r", "push"), newEv("r", "push")
	c := fresh(2 * time.Second)
	st, err := post(c, s.URL(), a) // held, answered 200 by the fake
	mustStatus(t, st, err, 200)
	mustSet(t, s, Profile{})
	st, err = post(c, s.URL(), b) // forwarded, then a follows
	mustStatus(t, st, err, 200)
	eventually(t, "both forwarded", func() bool { return len(rc.got()) == 2 })
	if got := rc.got(); got[0] != b.ID || got[1] != a.ID {
		t.Fatalf("receiver order %v, want b then a", got)
	}
	eventually(t, "late row", func() bool { return len(s.Ledger(Filter{Outcome: OutcomeProxyLate})) == 1 })
}

func TestProxyTargetMustBeHTTP(t *testing.T) {
	s := New(WithProxy("ftp://x"))
	if err := s.Start("127.0.0.1:0", "127.0.0.1:0"); err == nil {
		s.Close()
		t.Fatal("ftp proxy target accepted")
	}
}

func TestProxySlowReceiverIsAClientTimeout(t *testing.T) {
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(release) })
	s := start(t, WithProxy(ts.URL))
	if _, err := post(fresh(150*time.Millisecond), s.URL(), newEv("r", "push")); err == nil {
		t.Fatal("answered")
	}
	eventually(t, "Timeouts == 1", func() bool { return s.Stats().Timeouts == 1 })
	if got := s.Stats(); len(got.Statuses) != 0 || got.ProxyErrors != 1 {
		t.Fatalf("stats %+v", got)
	}
}
