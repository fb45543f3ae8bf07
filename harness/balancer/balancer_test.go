package balancer

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

var seenMu sync.Mutex

func backend(t *testing.T, name string, seen *[]string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seenMu.Lock()
		defer seenMu.Unlock()
		*seen = append(*seen, name+" "+r.Method+" "+r.URL.RequestURI()+" "+r.Host+" "+string(b))
		w.Header().Set("Location", "/v2/x/blobs/uploads/1")
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(s.Close)
	return s
}

// refusedURL is a loopback address nobody listens on.
func refusedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

func TestRoundRobinPerRequestSkippingRefused(t *testing.T) {
	var seen []string
	a, b := backend(t, "a", &seen), backend(t, "b", &seen)
	dead := refusedURL(t)
	lb, err := New([]string{a.URL, dead, b.URL})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(lb)
	defer front.Close()
	for i := range 4 {
		req, _ := http.NewRequest(http.MethodPatch, front.URL+"/v2/x/blobs/uploads/1?n=1", strings.NewReader("chunk"))
		req.Host = "registry.example:5000"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") == "" {
			t.Fatalf("request %d: %s, Location %q", i, resp.Status, resp.Header.Get("Location"))
		}
	}
	want := []string{"a", "b", "b", "a"} // the dead one's turns go to the next backend
	if len(seen) != 4 {
		t.Fatalf("backends saw %d requests: %v", len(seen), seen)
	}
	for i, s := range seen {
		if !strings.HasPrefix(s, want[i]+" PATCH /v2/x/blobs/uploads/1?n=1 registry.example:5000 chunk") {
			t.Errorf("request %d: %q, want backend %s with method, path, query, Host and body kept", i, s, want[i])
		}
	}
	st := lb.Stats()
	if st.Backends[0].Requests["PATCH"] != 2 || st.Backends[1].Refused != 1 || st.Backends[2].Requests["PATCH"] != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestEveryBackendRefusingAnswers502(t *testing.T) {
	lb, err := New([]string{refusedURL(t), refusedURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	lb.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v2/", nil))
	if rec.Code != http.StatusBadGateway {
		t.Fatalf("got %d, want 502", rec.Code)
	}
}

func TestMidRequestFailureIsNotRetried(t *testing.T) {
	var calls atomic.Int32
	hj := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		c, _, _ := w.(http.Hijacker).Hijack()
		c.Close() // the request arrived: it may have been served
	}))
	defer hj.Close()
	var seen []string
	ok := backend(t, "ok", &seen)
	lb, _ := New([]string{hj.URL, ok.URL})
	rec := httptest.NewRecorder()
	lb.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/v2/x/manifests/t", strings.NewReader("{}")))
	if rec.Code != http.StatusBadGateway || calls.Load() != 1 || len(seen) != 0 {
		t.Fatalf("got %d after %d calls, other backend saw %v: want 502, one call, no retry", rec.Code, calls.Load(), seen)
	}
}

func TestBadBackends(t *testing.T) {
	for _, bs := range [][]string{nil, {"ftp://x"}, {"replica:5000"}} {
		if _, err := New(bs); err == nil {
			t.Errorf("New(%q): no error", bs)
		}
	}
}
