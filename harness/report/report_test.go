package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/verdict"
	"github.com/hookbench/hookbench/load"
)

func syntheticResult() *harness.Result {
	t0 := time.Unix(1_700_000_000, 0)
	r := &harness.Result{Scenario: "synthetic", Description: "made up", Runtime: "none", Started: t0, Duration: 3 * time.Second,
		Endpoints: []string{"a", "b"}, Final: map[string]endpoint.EndpointMetrics{}, Fakes: map[string]endpoint.Stats{},
		Deliveries: map[string][]endpoint.Delivery{}}
	lr := &load.Result{Profile: load.Profile{Op: load.OpManifestPush, Count: 100}}
	for i := 0; i < 100; i++ {
		at := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		lat := time.Duration(2+i%7) * time.Millisecond
		lr.Hits = append(lr.Hits, load.Hit{Op: lr.Profile.Op, At: at, Latency: lat, Code: 201})
		lr.Metrics.Add(&vegeta.Result{Timestamp: at, Latency: lat, Code: 201})
		for _, ep := range r.Endpoints {
			r.Deliveries[ep] = append(r.Deliveries[ep], endpoint.Delivery{ID: string(rune(i)), Timestamp: at, Arrived: at.Add(lat * 3), Status: 200, Attempt: 1})
		}
	}
	lr.Metrics.Close()
	r.Load = []*load.Result{lr}
	for i := 0; i < 60; i++ {
		s := observe.Sample{At: t0.Add(time.Duration(i) * 50 * time.Millisecond), Endpoints: map[string]endpoint.EndpointMetrics{
			"a": {Pending: i % 10}, "b": {Pending: 30 - i/2}}, Mem: observe.MemStats{HeapInuse: uint64(8+i%5) << 20}}
		r.Samples = append(r.Samples, s)
	}
	r.Final["a"] = endpoint.EndpointMetrics{Events: 100, Successes: 100, Statuses: map[string]int{"200 OK": 100}}
	r.Verdict = verdict.Verdict{Checks: []verdict.Check{
		{Endpoint: "a", Kind: verdict.KindReconcile, Name: "Pending", Registry: "0", Observed: "0", OK: true},
		{Endpoint: "b", Kind: verdict.KindExpect, Name: "Final Pending", Registry: "1", Observed: "0"},
	}}
	return r
}

func TestJSONRoundTripAndText(t *testing.T) {
	dir := t.TempDir()
	r := syntheticResult()
	if err := WriteAll(dir, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Scenario != r.Scenario || len(back.Samples) != len(r.Samples) || back.Load[0].Metrics.Requests != 100 {
		t.Fatalf("round trip lost data: %+v", back.Load[0].Metrics)
	}
	var txt bytes.Buffer
	Text(&txt, back)
	if !strings.Contains(txt.String(), "scenario synthetic") || !strings.Contains(txt.String(), "FAIL") {
		t.Fatalf("text table:\n%s", txt.String())
	}
}

func TestProgressLine(t *testing.T) {
	l := Line(harness.Progress{Elapsed: 1500 * time.Millisecond, Phase: "load", Pushed: 42, Hits: 21, HitRate: 20, TotalHits: 101,
		Endpoints: []string{"a"}, Delivered: map[string]int{"a": 40}, Pending: map[string]int{"a": 2}})
	if l != "   1.5s load  hits 21/101 20/s ETA 4s, events owed 42 | a pending 2 delivered 40" {
		t.Fatalf("line %q", l)
	}
	l = Line(harness.Progress{Elapsed: 9 * time.Second, Phase: "drain", Pushed: 42, Hits: 21, Drain: 15 * time.Second})
	if !strings.Contains(l, "drain hits 21, waiting for pending to settle (up to 15s), events owed 42") {
		t.Fatalf("line %q", l)
	}
}

func TestETA(t *testing.T) {
	if eta, ok := ETA(harness.Progress{Hits: 100, TotalHits: 1100, HitRate: 50}); !ok || eta != 20*time.Second {
		t.Errorf("count-bound ETA %s %v", eta, ok)
	}
	if eta, ok := ETA(harness.Progress{Elapsed: 4 * time.Second, PlannedLoad: 10 * time.Second}); !ok || eta != 6*time.Second {
		t.Errorf("duration-bound ETA %s %v", eta, ok)
	}
	if _, ok := ETA(harness.Progress{Hits: 10}); ok {
		t.Errorf("ETA without a plan")
	}
}

// Not a terminal: one plain line per interval, however often updated.
func TestLiveDoesNotFloodALog(t *testing.T) {
	var b bytes.Buffer
	l := NewLive(&b, false, 5*time.Second)
	now := time.Unix(0, 0)
	l.now = func() time.Time { return now }
	for i := 0; i < 200; i++ { // 10s of updates every 50ms
		l.Update(harness.Progress{Phase: "load", Hits: i})
		now = now.Add(50 * time.Millisecond)
	}
	l.Done()
	if n := strings.Count(b.String(), "\n"); n != 2 {
		t.Fatalf("%d lines in 10s, want 2:\n%s", n, b.String())
	}
	if strings.Contains(b.String(), "\r") {
		t.Fatalf("carriage returns in a log")
	}
	// A terminal: redrawn in place, at most 4 times a second.
	b.Reset()
	l = NewLive(&b, true, 5*time.Second)
	l.now = func() time.Time { return now }
	for i := 0; i < 20; i++ { // 1s
		l.Update(harness.Progress{Phase: "load", Hits: i})
		now = now.Add(50 * time.Millisecond)
	}
	if n := strings.Count(b.String(), "\r"); n != 4 {
		t.Fatalf("%d redraws in 1s, want 4", n)
	}
}
