package verdict

import (
	"testing"

	"github.com/hookbench/hookbench/fakes/endpoint"
)

func TestPrometheusChecks(t *testing.T) {
	m := endpoint.EndpointMetrics{Events: 3, Successes: 2, Failures: 1, Pending: 0, Statuses: map[string]int{"200 OK": 2, "500 Internal Server Error": 1}}
	prom := map[string]float64{
		`registry_notifications_events_total{endpoint="sink",type="Events"}`:                    3,
		`registry_notifications_events_total{endpoint="sink",type="Successes"}`:                 2,
		`registry_notifications_events_total{endpoint="sink",type="Failures"}`:                  1,
		`registry_notifications_events_total{endpoint="sink",type="Errors"}`:                    0,
		`registry_notifications_pending_total{endpoint="sink"}`:                                 0,
		`registry_notifications_status_total{code="200 OK",endpoint="sink"}`:                    2,
		`registry_notifications_status_total{code="500 Internal Server Error",endpoint="sink"}`: 1,
		`registry_notifications_events_total{endpoint="other",type="Events"}`:                   9,
	}
	for _, c := range PrometheusChecks("sink", m, prom, false) {
		if !c.OK {
			t.Errorf("%s", c)
		}
	}
	prom[`registry_notifications_status_total{code="200 OK",endpoint="sink"}`] = 1
	failed := 0
	for _, c := range PrometheusChecks("sink", m, prom, false) {
		if !c.OK {
			failed++
			if c.Name != "Prometheus Statuses[200 OK]" {
				t.Errorf("wrong check failed: %s", c)
			}
		}
	}
	if failed != 1 {
		t.Fatalf("%d failed checks, want 1", failed)
	}
	// Still retrying: /metrics (read later) may be ahead in attempts, never
	// behind, and Events and Pending stay exact.
	prom[`registry_notifications_status_total{code="200 OK",endpoint="sink"}`] = 2
	prom[`registry_notifications_events_total{endpoint="sink",type="Errors"}`] = 4
	for _, c := range PrometheusChecks("sink", m, prom, true) {
		if !c.OK {
			t.Errorf("retrying, ahead: %s", c)
		}
	}
	prom[`registry_notifications_events_total{endpoint="sink",type="Failures"}`] = 0
	prom[`registry_notifications_pending_total{endpoint="sink"}`] = 1
	failed = 0
	for _, c := range PrometheusChecks("sink", m, prom, true) {
		if !c.OK {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("retrying: %d failed checks, want 2 (Failures behind, Pending off)", failed)
	}
	if PrometheusChecks("nobody", m, prom, false) != nil {
		t.Fatal("checks for an endpoint absent from /metrics")
	}
}
