package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hookbench/hookbench/load"
)

func TestStripFlags(t *testing.T) {
	got := stripFlags([]string{"--registry-url", "http://r", "--procs", "3", "--rate=30", "--out", "d", "-count", "9", "--op", "pull"}, "procs", "out", "rate", "count")
	if want := []string{"--registry-url", "http://r", "--op", "pull"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Merged metrics are computed from every hit: requests and successes add
// up, the quantiles are the merged hits', not an average of quantiles.
func TestMergeResults(t *testing.T) {
	t0 := time.Unix(1000, 0)
	a := &load.Result{Profile: load.Profile{Op: load.OpManifestPush, Count: 3, Pacing: load.Pacing{Rate: 10}}, Seeded: 2,
		Hits: []load.Hit{{At: t0, Latency: 10 * time.Millisecond, Code: 201}, {At: t0.Add(200 * time.Millisecond), Latency: 10 * time.Millisecond, Code: 201},
			{At: t0.Add(400 * time.Millisecond), Latency: 10 * time.Millisecond, Code: 503, Error: "503 Service Unavailable"}}}
	b := &load.Result{Profile: load.Profile{Op: load.OpManifestPush, Count: 1, Pacing: load.Pacing{Rate: 10}}, Seeded: 1,
		Hits: []load.Hit{{At: t0.Add(100 * time.Millisecond), Latency: 900 * time.Millisecond, Code: 201}}}
	m := mergeResults([]*load.Result{a, b})
	if m.Metrics.Requests != 4 || m.Metrics.Success != 0.75 || m.Metrics.StatusCodes["201"] != 3 || m.Metrics.StatusCodes["503"] != 1 {
		t.Errorf("metrics %+v", m.Metrics)
	}
	if m.Metrics.Latencies.Max != 900*time.Millisecond || m.Profile.Count != 4 || m.Profile.Pacing.Rate != 20 || m.Seeded != 3 {
		t.Errorf("max %s, profile %+v, seeded %d", m.Metrics.Latencies.Max, m.Profile, m.Seeded)
	}
	for i := 1; i < len(m.Hits); i++ {
		if m.Hits[i].At.Before(m.Hits[i-1].At) {
			t.Fatalf("hits not in time order: %+v", m.Hits)
		}
	}
}

// Two attackers' --out folders merge into one: ledgers concatenated.
func TestAttackMergeFolders(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var want int
	for i, n := range []int{5, 7} {
		d := filepath.Join(dir, []string{"a", "b"}[i])
		if code, err := cmdAttack(ctx, []string{"--inprocess", "--count", strconv.Itoa(n), "--rate", "200", "--out", d}); err != nil || code != exitPass {
			t.Fatalf("attacker %d: %d %v", i, code, err)
		}
		var es []load.Entry
		if err := readJSON(filepath.Join(d, ledgerFile), &es); err != nil {
			t.Fatal(err)
		}
		want += len(es)
	}
	out := filepath.Join(dir, "merged")
	if code, err := cmdAttack(ctx, []string{"--merge", filepath.Join(dir, "a") + "," + filepath.Join(dir, "b"), "--out", out}); err != nil || code != exitPass {
		t.Fatalf("merge: %d %v", code, err)
	}
	var es []load.Entry
	var r load.Result
	if err := readJSON(filepath.Join(out, ledgerFile), &es); err != nil {
		t.Fatal(err)
	}
	if err := readJSON(filepath.Join(out, attackFile), &r); err != nil {
		t.Fatal(err)
	}
	if len(es) != want || r.Metrics.Requests != 12 || len(r.Hits) != 12 {
		t.Errorf("merged ledger %d (want %d), requests %d, hits %d", len(es), want, r.Metrics.Requests, len(r.Hits))
	}
	if _, err := os.Stat(filepath.Join(out, attackFile)); err != nil {
		t.Fatal(err)
	}
	if code, err := cmdAttack(ctx, []string{"--inprocess", "--procs", "2"}); err == nil || code != exitUsage {
		t.Errorf("--procs with --inprocess: %d %v, want refused", code, err)
	}
}
