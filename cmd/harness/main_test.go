package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestExitStatuses(t *testing.T) {
	if err := os.Chdir("../.."); err != nil { // the module root, as `go run ./cmd/harness`
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	cases := []struct {
		args []string
		want int
	}{
		{[]string{"list"}, 0},
		{[]string{"run", "smoke", "--out", dir}, 0},
		{[]string{"report", "--in", filepath.Join(dir, "report.json"), "--out", filepath.Join(dir, "again.html")}, 0},
		{[]string{"run", "smoke", "--fault-forget-pending", "--drain-timeout", "1s"}, 1},
		{[]string{"run", "no-such-scenario"}, 2},
		{[]string{"list", "-v"}, 0},
		{[]string{"run", "network-partition"}, 2}, // in-process cannot partition: refused before it starts
		{[]string{"run", "smoke", "--runtime", "nope"}, 2},
		{[]string{"frobnicate"}, 2},
		{[]string{"attack", "--inprocess", "--count", "20", "--rate", "100"}, 0},
	}
	for _, c := range cases {
		if got := run(ctx, c.args); got != c.want {
			t.Errorf("harness %v: exit %d, want %d", c.args, got, c.want)
		}
	}
	for _, f := range []string{"report.json", "report.txt", "report.html", "again.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}
