package debug

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

// newInstance builds a debug server as app does: its own
// Prometheus registry with its own counter.
func newInstance(t *testing.T, name string, events float64) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_events_total", Help: "h"})
	c.Add(events)
	reg.MustRegister(c)
	return New(
		WithNotifications(func() any { return map[string]any{"endpoints": []any{map[string]any{"name": name}}} }),
		WithPrometheus("/metrics", reg),
	)
}

func TestTwoInstancesDoNotShare(t *testing.T) {
	a := newInstance(t, "a", 1)
	b := newInstance(t, "b", 7)
	for _, tc := range []struct {
		s      *Server
		name   string
		metric string
	}{{a, "a", "test_events_total 1\n"}, {b, "b", "test_events_total 7\n"}} {
		code, body := get(t, tc.s, "/debug/vars")
		if code != 200 {
			t.Fatalf("vars: %d", code)
		}
		var v struct {
			Registry struct {
				Notifications struct {
					Endpoints []struct{ Name string } `json:"endpoints"`
				} `json:"notifications"`
			} `json:"registry"`
			Memstats map[string]any `json:"memstats"`
			Cmdline  []string       `json:"cmdline"`
		}
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatal(err)
		}
		if e := v.Registry.Notifications.Endpoints; len(e) != 1 || e[0].Name != tc.name {
			t.Errorf("instance %s: endpoints = %+v", tc.name, e)
		}
		if v.Memstats["HeapAlloc"] == nil || len(v.Cmdline) == 0 {
			t.Errorf("instance %s: memstats or cmdline missing", tc.name)
		}
		code, body = get(t, tc.s, "/metrics")
		if code != 200 || !strings.Contains(body, tc.metric) || !strings.Contains(body, "go_goroutines") {
			t.Errorf("instance %s: metrics %d, want %q in\n%.300s", tc.name, code, tc.metric, body)
		}
	}
}

func TestHealthAndDefaults(t *testing.T) {
	s := New()
	if code, body := get(t, s, "/debug/health"); code != 200 || strings.TrimSpace(body) != "{}" {
		t.Errorf("health = %d %q", code, body)
	}
	code, body := get(t, s, "/debug/vars")
	if code != 200 || !strings.Contains(body, `"notifications": {`) {
		t.Errorf("vars without notifications = %d %.200s", code, body)
	}
	if code, _ := get(t, s, "/metrics"); code != 404 {
		t.Errorf("metrics without prometheus = %d, want 404", code)
	}
	if code, _ := get(t, s, "/debug/pprof/"); code != 200 {
		t.Errorf("pprof = %d", code)
	}
	if code, _ := get(t, New(WithPprof(false)), "/debug/pprof/"); code != 404 {
		t.Errorf("pprof off = %d", code)
	}
}
