package main

import (
	"context"
	"strings"
	"testing"
)

// TestBenchFlags: the peer is required only by the sections that compare
// with Distribution, and bad section names or sizes are refused by name,
// all before anything is built or started.
func TestBenchFlags(t *testing.T) {
	out := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", out}, "--peer"},
		{[]string{"--out", out, "--sections", "queue,storage"}, "--peer"},
		{[]string{"--out", out, "--sections", "queue,bogus"}, `unknown section "bogus"`},
		{[]string{"--out", out, "--sections", "queue", "--queue-events", "0"}, "--queue-events 0"},
	} {
		err := cmdBench(context.Background(), c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bench %v: error %v, want one naming %q", c.args, err, c.want)
		}
	}
}
