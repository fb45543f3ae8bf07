package verdict

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/load"
)

// contentCase is a manifest push by digest owed in full, and the delivery
// of the event that says exactly that.
func contentCase() ([]load.Entry, []endpoint.Delivery, map[string]any) {
	dg := "sha256:" + strings.Repeat("a", 64)
	ua := "hookbench-load/1 (op=manifest-push-by-digest; run=x; hit=0)"
	e := load.Entry{Op: load.OpPushByDigest, Action: "push", Kind: "manifest", Repository: "r", Digest: dg,
		MediaType: load.MediaTypeManifest, Size: 7, Length: 7, URL: "http://h:1/v2/r/manifests/" + dg,
		Method: "PUT", UserAgent: ua, Host: "h:1", At: time.Unix(1, 0)}
	ev := map[string]any{
		"id": "e1", "timestamp": "2026-12-03T10:00:00Z", "action": "push",
		"target": map[string]any{"mediaType": load.MediaTypeManifest, "digest": dg, "size": 7, "length": 7,
			"repository": "r", "url": e.URL},
		"request": map[string]any{"id": "q1", "addr": "127.0.0.1:9", "host": "h:1", "method": "PUT", "useragent": ua},
		"actor":   map[string]any{},
		"source":  map[string]any{"addr": "vm:5000", "instanceID": "i"},
	}
	return []load.Entry{e}, []endpoint.Delivery{deliveryOf(ev)}, ev
}

func deliveryOf(ev map[string]any) endpoint.Delivery {
	raw, _ := json.Marshal(ev)
	t := ev["target"].(map[string]any)
	tag, _ := t["tag"].(string)
	return endpoint.Delivery{ID: ev["id"].(string), Action: ev["action"].(string), Repository: t["repository"].(string),
		Digest: t["digest"].(string), Tag: tag, Timestamp: time.Unix(1, 0), Arrived: time.Unix(2, 0),
		Attempt: 1, Status: 200, Outcome: "answered", Event: raw}
}

func observed(ds []endpoint.Delivery) Observation {
	n := len(ds)
	return Observation{Name: "sink", Deliveries: ds,
		Registry: endpoint.EndpointMetrics{Events: 1, Successes: n, Statuses: map[string]int{"200 OK": n}},
		Fake:     endpoint.Stats{Deliveries: n, Statuses: map[string]int{"200 OK": n}}}
}

// Reconciliation compares content: the right event passes, a wrong field
// fails the Content check naming operation and field, a missing event
// fails Lost naming the operation, and an unowed one fails Unexpected
// naming the operation its user agent gives.
func TestReconcileByContent(t *testing.T) {
	owed, ds, _ := contentCase()
	if err := reconcile(owed, []Observation{observed(ds)}).Err(); err != nil {
		t.Fatal(err)
	}

	_, _, ev := contentCase()
	ev["target"].(map[string]any)["tag"] = "v1"
	r := reconcile(owed, []Observation{observed([]endpoint.Delivery{deliveryOf(ev)})})
	if got := failedNames(r); len(got) != 1 || got[0] != "Content" {
		t.Fatalf("wrong tag: failed %v, want [Content]", got)
	}
	if msg := r.Err().Error(); !strings.Contains(msg, `manifest-push-by-digest: target.tag: want "", got "v1"`) {
		t.Fatalf("message does not name operation and field:\n%s", msg)
	}

	r = reconcile(owed, []Observation{observed(nil)})
	if msg := r.Err().Error(); !strings.Contains(msg, "Lost") || !strings.Contains(msg, "manifest-push-by-digest: push manifest r@") {
		t.Fatalf("missing event not named by its operation:\n%s", msg)
	}

	_, _, ev = contentCase()
	ev["id"] = "e2"
	ev["target"].(map[string]any)["repository"] = "elsewhere"
	ev["target"].(map[string]any)["digest"] = "sha256:" + strings.Repeat("b", 64)
	ev["request"].(map[string]any)["useragent"] = "hookbench-load/1 (op=blob-delete; run=x; hit=9)"
	r = reconcile(owed, []Observation{observed(append(ds, deliveryOf(ev)))})
	if got := failedNames(r); !strings.Contains(strings.Join(got, ","), "Unexpected") {
		t.Fatalf("unowed event: failed %v", got)
	}
	if msg := r.Err().Error(); !strings.Contains(msg, "blob-delete: push elsewhere@") {
		t.Fatalf("unowed event not named by the operation in its user agent:\n%s", msg)
	}
}
