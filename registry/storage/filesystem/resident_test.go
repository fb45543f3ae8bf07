package filesystem

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// indexRss is the resident size of index.db's mapping, from
// /proc/self/smaps (Linux).
func indexRss(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	total, found := 0, false
	for i, l := range lines {
		if !strings.HasSuffix(l, "/index.db") {
			continue
		}
		found = true
		for _, m := range lines[i+1:] {
			if f := strings.Fields(m); len(f) == 3 && f[0] == "Rss:" {
				kb, _ := strconv.Atoi(f[1])
				total += kb << 10
				break
			}
		}
	}
	if !found {
		t.Fatal("index.db is not mapped")
	}
	return total
}

// TestDropResident: the index's pages that lookups and writes faulted in
// leave the process's resident set when dropped, and lookups still work.
func TestDropResident(t *testing.T) {
	ctx := context.Background()
	d := open(t, t.TempDir())
	var ms []string
	for i := range 3000 {
		m := manifest(i, "")
		if err := d.ManifestPut(ctx, fmt.Sprintf("r%d", i%8), m, fmt.Sprintf("t%d", i)); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, string(m.Descriptor.Digest))
	}
	d.ix.sync(t)            // lookups then read bbolt, not the overlay
	for i, dg := range ms { // lookups fault pages in
		if _, err := d.TagResolve(ctx, fmt.Sprintf("r%d", i%8), fmt.Sprintf("t%d", i)); err != nil {
			t.Fatal(err, dg)
		}
	}
	d.ix.dropResident()
	if rss := indexRss(t); rss != 0 {
		t.Fatalf("index.db resident after a drop: %d bytes", rss)
	}
	if got, err := d.TagResolve(ctx, "r1", "t1"); err != nil || string(got) != ms[1] {
		t.Fatalf("lookup after a drop: %s %v", got, err)
	}
	if indexRss(t) == 0 {
		t.Fatal("a lookup faulted nothing in: the test measures nothing")
	}
}
