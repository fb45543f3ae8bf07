package verdict

import (
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func entries(n int) []load.Entry {
	var es []load.Entry
	t0 := time.Unix(1000, 0)
	for i := 0; i < n; i++ {
		es = append(es, load.Entry{Action: "push", Kind: "manifest", Repository: "r", Digest: "sha256:" + string(rune('a'+i)), Tag: "t" + string(rune('a'+i)), MediaType: load.MediaTypeManifest, At: t0.Add(time.Duration(i) * time.Millisecond)})
	}
	return es
}

func delivered(es []load.Entry, status int) []endpoint.Delivery {
	var ds []endpoint.Delivery
	for i, e := range es {
		ts := e.At
		ds = append(ds, endpoint.Delivery{ID: "id" + e.Digest, Action: e.Action, Repository: e.Repository, Digest: e.Digest, Tag: e.Tag,
			Timestamp: ts, Arrived: ts.Add(time.Duration(i+1) * time.Millisecond), Attempt: 1, Status: status, Outcome: "answered"})
	}
	return ds
}

// reconcile is Reconcile's checks as a verdict.
func reconcile(owed []load.Entry, obs []Observation) Verdict {
	_, checks := Reconcile(owed, obs)
	return Verdict{Checks: checks}
}

func failedNames(v Verdict) []string {
	var out []string
	for _, c := range v.Failed() {
		out = append(out, c.Name)
	}
	return out
}

func TestReconcileAgrees(t *testing.T) {
	es := entries(5)
	r := reconcile(es, []Observation{{
		Name:       "sink",
		Registry:   endpoint.EndpointMetrics{Events: 5, Successes: 5, Statuses: map[string]int{"200 OK": 5}},
		Fake:       endpoint.Stats{Deliveries: 5, Unique: 5, Statuses: map[string]int{"200 OK": 5}},
		Deliveries: delivered(es, 200),
	}})
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestReconcileNamesEachDisagreement(t *testing.T) {
	es := entries(5)
	ds := delivered(es[:4], 200)                                                                  // one lost
	ds = append(ds, ds[0])                                                                        // one duplicate
	ds = append(ds, endpoint.Delivery{ID: "x", Action: "push", Repository: "other", Status: 200}) // unexpected
	r := reconcile(es, []Observation{{
		Name: "sink",
		// Pending forgotten (0 with one lost), Successes inflated, Statuses off, Errors without resets.
		Registry:   endpoint.EndpointMetrics{Events: 4, Successes: 7, Failures: 1, Errors: 2, Statuses: map[string]int{"200 OK": 6, "500 Internal Server Error": 1}},
		Fake:       endpoint.Stats{Deliveries: 7, Statuses: map[string]int{"200 OK": 6}, Resets: 1},
		Deliveries: ds,
	}})
	got := strings.Join(failedNames(r), ",")
	for _, want := range []string{"Lost", "Unexpected", "Duplicates", "Events", "Successes", "Failures", "Statuses[500 Internal Server Error]", "Errors", "Attempts"} {
		if !strings.Contains(got, want) {
			t.Errorf("check %s not failed; failed: %s", want, got)
		}
	}
	msg := r.Err().Error()
	if !strings.Contains(msg, "registry 7") || !strings.Contains(msg, "6 2xx answers") {
		t.Errorf("failure message does not show both sides:\n%s", msg)
	}
}

func TestReconcileIgnoreRulesAndPending(t *testing.T) {
	es := entries(3)
	es = append(es, load.Entry{Action: "push", Kind: "blob", Repository: "r", Digest: "sha256:b", MediaType: load.MediaTypeBlob})
	obs := Observation{
		Name:       "no-blobs",
		Ignore:     model.Ignore{MediaTypes: []string{load.MediaTypeBlob}},
		Tolerance:  model.Tolerance{Pending: 1, Refusals: true},
		Registry:   endpoint.EndpointMetrics{Events: 3, Successes: 2, Errors: 4, Pending: 1, Statuses: map[string]int{"200 OK": 2}},
		Fake:       endpoint.Stats{Deliveries: 2, Statuses: map[string]int{"200 OK": 2}},
		Deliveries: delivered(es[:2], 200),
	}
	if err := reconcile(es, []Observation{obs}).Err(); err != nil {
		t.Fatal(err)
	}
	obs.Tolerance.Pending = 0
	if got := failedNames(reconcile(es, []Observation{obs})); len(got) != 1 || got[0] != "Pending" {
		t.Fatalf("failed %v, want [Pending]", got)
	}
}

func TestReconcileOrder(t *testing.T) {
	es := entries(3)
	ds := delivered(es, 200)
	ds[0].Arrived, ds[2].Arrived = ds[2].Arrived, ds[0].Arrived
	r := reconcile(es, []Observation{{
		Name: "sink", Tolerance: model.Tolerance{CheckOrder: true},
		Registry: endpoint.EndpointMetrics{Events: 3, Successes: 3, Statuses: map[string]int{"200 OK": 3}},
		Fake:     endpoint.Stats{Deliveries: 3, Statuses: map[string]int{"200 OK": 3}}, Deliveries: ds,
	}})
	if got := failedNames(r); len(got) != 1 || got[0] != "Order" {
		t.Fatalf("failed %v, want [Order]", got)
	}
}

// TestReconcileAttemptsUnderWay: with Timeouts, an attempt the receiver has
// answered but the registry has not yet counted is allowed (registry <
// receiver, as seen when a retry loop never stops), one the receiver never
// saw is not.
func TestReconcileAttemptsUnderWay(t *testing.T) {
	es := entries(2)
	for _, tc := range []struct {
		regFailures int
		wantFailed  bool
	}{{regFailures: 11}, {regFailures: 12}, {regFailures: 13, wantFailed: true}} {
		r := reconcile(es, []Observation{{
			Name:      "sink",
			Tolerance: model.Tolerance{Timeouts: true},
			Registry: endpoint.EndpointMetrics{Events: 2, Successes: 2, Failures: tc.regFailures,
				Statuses: map[string]int{"200 OK": 2, "400 Bad Request": tc.regFailures}},
			Fake:       endpoint.Stats{Deliveries: 14, Unique: 2, Statuses: map[string]int{"200 OK": 2, "400 Bad Request": 12}},
			Deliveries: delivered(es, 200),
		}})
		failed := strings.Join(failedNames(r), ",")
		if got := strings.Contains(failed, "Attempts"); got != tc.wantFailed {
			t.Errorf("registry failures %d: Attempts failed = %v, want %v (failed: %s)", tc.regFailures, got, tc.wantFailed, failed)
		}
	}
}
