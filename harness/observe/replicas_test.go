package observe

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/hookbench/hookbench/fakes/endpoint"
)

func varsServer(t *testing.T, m *atomic.Pointer[endpoint.EndpointMetrics], up *atomic.Bool) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var v Vars
		v.Registry.Notifications.Endpoints = []EndpointVars{{Name: "sink", Metrics: *m.Load()}}
		json.NewEncoder(w).Encode(v)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestSumEndpoints(t *testing.T) {
	a := map[string]endpoint.EndpointMetrics{"sink": {Pending: 3, Events: 10, Successes: 7, Failures: 1, Errors: 2, Statuses: map[string]int{"200 OK": 7, "500 Internal Server Error": 1}}}
	b := map[string]endpoint.EndpointMetrics{"sink": {Pending: 3, Events: 5, Successes: 2, Statuses: map[string]int{"200 OK": 2}}}
	got := SumEndpoints([]map[string]endpoint.EndpointMetrics{a, b}, false)["sink"]
	if got.Pending != 6 || got.Events != 15 || got.Successes != 9 || got.Failures != 1 || got.Errors != 2 || got.Statuses["200 OK"] != 9 || got.Statuses["500 Internal Server Error"] != 1 {
		t.Errorf("summed: %+v", got)
	}
	if shared := SumEndpoints([]map[string]endpoint.EndpointMetrics{a, b}, true)["sink"]; shared.Pending != 3 || shared.Events != 15 {
		t.Errorf("shared Pending taken once: %+v", shared)
	}
}

// A replica that stops answering keeps its last counters in the sums
// (marked stale): the cluster's counters never go down for a partition.
func TestReplicasSampledAndSummed(t *testing.T) {
	var m0, m1 atomic.Pointer[endpoint.EndpointMetrics]
	var up0, up1 atomic.Bool
	up0.Store(true)
	up1.Store(true)
	m0.Store(&endpoint.EndpointMetrics{Pending: 1, Events: 4, Successes: 3, Statuses: map[string]int{"200 OK": 3}})
	m1.Store(&endpoint.EndpointMetrics{Pending: 2, Events: 6, Successes: 4, Statuses: map[string]int{"200 OK": 4}})
	s0, s1 := varsServer(t, &m0, &up0), varsServer(t, &m1, &up1)
	sp := NewSampler("", "/metrics", 0)
	sp.SetReplicas([]Replica{{"replica-0", s0.URL}, {"replica-1", s1.URL}}, false)
	ctx := context.Background()

	sm := sp.Poll(ctx)
	if sm.Error != "" || sm.Endpoints["sink"].Events != 10 || sm.Endpoints["sink"].Pending != 3 || sm.Endpoints["sink"].Statuses["200 OK"] != 7 {
		t.Fatalf("first sample: %+v", sm)
	}
	if len(sm.Replicas) != 2 || sm.Replicas[1].Endpoints["sink"].Events != 6 {
		t.Fatalf("replicas: %+v", sm.Replicas)
	}

	up1.Store(false)
	m0.Store(&endpoint.EndpointMetrics{Events: 5, Successes: 5, Statuses: map[string]int{"200 OK": 5}})
	sm = sp.Poll(ctx)
	if sm.Error != "" || !sm.Replicas[1].Stale || sm.Replicas[1].Error == "" {
		t.Fatalf("replica-1 down: %+v", sm.Replicas)
	}
	if got := sm.Endpoints["sink"]; got.Events != 11 || got.Successes != 9 || got.Pending != 2 {
		t.Errorf("sum with replica-1's last counters: %+v", got)
	}

	up0.Store(false)
	if sm = sp.Poll(ctx); sm.Error == "" {
		t.Errorf("no replica answered, but the sample has no error")
	}
}

// With a shared queue, Pending comes from replicas answering now, once.
func TestSharedPendingFromLiveReplicas(t *testing.T) {
	var m0, m1 atomic.Pointer[endpoint.EndpointMetrics]
	var up0, up1 atomic.Bool
	up0.Store(true)
	up1.Store(true)
	m0.Store(&endpoint.EndpointMetrics{Pending: 9, Events: 5})
	m1.Store(&endpoint.EndpointMetrics{Pending: 9, Events: 4})
	s0, s1 := varsServer(t, &m0, &up0), varsServer(t, &m1, &up1)
	sp := NewSampler("", "", 0)
	sp.SetReplicas([]Replica{{"replica-0", s0.URL}, {"replica-1", s1.URL}}, true)
	if got := sp.Poll(context.Background()).Endpoints["sink"]; got.Pending != 9 || got.Events != 9 {
		t.Fatalf("%+v", got)
	}
	up1.Store(false)
	m0.Store(&endpoint.EndpointMetrics{Pending: 0, Events: 5, Successes: 9})
	if got := sp.Poll(context.Background()).Endpoints["sink"]; got.Pending != 0 || got.Events != 9 {
		t.Fatalf("stale replica-1 must not hold the cluster-wide Pending: %+v", got)
	}
}
