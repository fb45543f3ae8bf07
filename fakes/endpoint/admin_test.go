package endpoint

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAdminClientRoundTrip(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	c := NewClient(s.AdminURL())
	if err := c.Healthz(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.SetProfile(ctx, Profile{Fault: Fault{Sequence: []int{500, 200}, Latency: &Latency{Fixed: Duration(time.Millisecond)}}}); err != nil {
		t.Fatal(err)
	}
	p, err := c.Profile(ctx)
	if err != nil || len(p.Sequence) != 2 || p.Latency == nil || p.Latency.Fixed != Duration(time.Millisecond) {
		t.Fatalf("profile %+v %v", p, err)
	}
	a, b := newEv("one", "push"), newEv("two", "pull")
	before := time.Now()
	for _, e := range []ev{a, a, b} {
		if _, err := post(fresh(time.Second), s.URL()+"/callback", e); err != nil {
			t.Fatal(err)
		}
	}
	st, err := c.Stats(ctx)
	if err != nil || st.Deliveries != 3 || st.Unique != 2 || st.Duplicates != 1 || st.Statuses["500 Internal Server Error"] != 2 || st.Statuses["200 OK"] != 1 || !st.Up {
		t.Fatalf("stats %+v %v", st, err)
	}
	all, err := c.Ledger(ctx, Filter{})
	if err != nil || len(all) != 3 {
		t.Fatalf("ledger %v %v", all, err)
	}
	for _, tc := range []struct {
		f    Filter
		want int
	}{
		{Filter{ID: a.ID}, 2}, {Filter{Repository: "two"}, 1}, {Filter{Action: "push"}, 2},
		{Filter{Since: before}, 3}, {Filter{Since: time.Now().Add(time.Hour)}, 0}, {Filter{Outcome: OutcomeAnswered, Repository: "one"}, 2},
	} {
		ds, err := c.Ledger(ctx, tc.f)
		if err != nil || len(ds) != tc.want {
			t.Errorf("filter %+v: %d rows (%v), want %d", tc.f, len(ds), err, tc.want)
		}
	}
	if err := c.SetProfileJSON(ctx, []byte(`{"status":"teapot"}`)); err == nil || !strings.Contains(err.Error(), "status") {
		t.Fatalf("bad profile accepted or unclear: %v", err)
	}
	if err := c.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.Stats(ctx); st.Deliveries != 0 {
		t.Fatalf("after reset %+v", st)
	}
	resp, err := http.Get(s.AdminURL() + "/ledger?since=yesterday")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("bad since: %d", resp.StatusCode)
	}
}

// The JSON keys the harness reads (harness.FakeStats, harness.Delivery,
// scenario profiles) stay as agreed.
func TestWireKeysForTheHarness(t *testing.T) {
	p, err := ParseProfile([]byte(`{"sequence":[500,200],"errorRate":0.5,"errorStatus":503,"seed":1,"latency":"10ms","hang":false,"reset":false,"flap":"250ms"}`))
	if err != nil || p.Flap != Duration(250*time.Millisecond) {
		t.Fatal(p, err)
	}
	if _, err := ParseProfile([]byte(`{"refuse":true}`)); err != nil {
		t.Fatal(err)
	}
	s := start(t)
	if _, err := post(fresh(time.Second), s.URL(), newEv("r", "push")); err != nil {
		t.Fatal(err)
	}
	for path, keys := range map[string][]string{
		"/stats":  {`"deliveries":`, `"events":`, `"unique":`, `"duplicates":`, `"statuses":{"200 OK":1}`, `"resets":`, `"hangs":`, `"badRequests":`},
		"/ledger": {`[{"id":`, `"action":"push"`, `"repository":"r"`, `"digest":`, `"tag":"latest"`, `"mediaType":`, `"timestamp":`, `"arrived":`, `"attempt":1`, `"status":200`, `"outcome":"answered"`},
	} {
		resp, err := http.Get(s.AdminURL() + path)
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		for _, k := range keys {
			if !strings.Contains(sb.String(), k) {
				t.Errorf("%s lacks %s: %s", path, k, sb.String())
			}
		}
	}
}
