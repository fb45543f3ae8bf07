package load

import (
	"testing"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// The template gives manifestContent's bytes, so the ledger owes the same
// digests and sizes as when every manifest was marshalled.
func TestManifestTemplate(t *testing.T) {
	cfg := v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: digest.FromString("c"), Size: 40}
	layer := v1.Descriptor{MediaType: v1.MediaTypeImageLayer, Digest: digest.FromString("l"), Size: 256}
	for _, run := range []string{"a1b2c3d4", `quote"and<html>&`, "ünïcode"} {
		tmpl, ok := newManifestTemplate(run, cfg, layer)
		if !ok {
			t.Fatalf("run %q: no template", run)
		}
		for _, n := range []uint64{0, 7, 1234567, 1<<64 - 1} {
			want, wantD := manifestContent(run, n, cfg, layer)
			got := tmpl.fill(n)
			if string(got) != string(want) {
				t.Fatalf("run %q n %d:\n%s\nwant\n%s", run, n, got, want)
			}
			if d := sha256Digest(got); d != digest.FromBytes(want) || d != wantD {
				t.Fatalf("digest %s, want %s", d, digest.FromBytes(want))
			}
		}
	}
	if _, ok := newManifestTemplate(seqMark, cfg, layer); ok {
		t.Fatal("a run containing the mark made a template")
	}
}

// The ledger keeps entries in order across its chunks.
func TestLedgerChunks(t *testing.T) {
	var l Ledger
	if l.Entries() != nil || l.Len() != 0 {
		t.Fatal("empty ledger not empty")
	}
	total := 0
	for _, batch := range []int{1, ledgerChunk - 2, 3, 2 * ledgerChunk, 5} {
		es := make([]Entry, batch)
		for i := range es {
			es[i] = Entry{Action: "push", Kind: "blob", Size: int64(total + i)}
			if i%2 == 1 {
				es[i].Kind = "manifest"
			}
		}
		l.Add(es...)
		total += batch
	}
	got := l.Entries()
	if len(got) != total || l.Len() != total {
		t.Fatalf("%d entries, Len %d, want %d", len(got), l.Len(), total)
	}
	for i, e := range got {
		if e.Size != int64(i) {
			t.Fatalf("entry %d has size %d", i, e.Size)
		}
	}
	if n, m := l.Count("push", "blob"), l.Count("", "manifest"); n+m != total || l.Count("push", "") != total {
		t.Fatalf("counts %d + %d, want %d", n, m, total)
	}
}

func TestBlobContent(t *testing.T) {
	for _, size := range []int{0, 10, 17, 18, 40, 44, 45, 100, 1000, 1 << 20} {
		got := blobContent("run", 42, size)
		head := "hookbench run 42\n"
		want := []byte(head)
		for i := len(head); i < size; i++ {
			want = append(want, byte('a'+i%26))
		}
		if string(got) != string(want) {
			t.Fatalf("size %d: %q, want %q", size, got[:min(len(got), 80)], want[:min(len(want), 80)])
		}
	}
}
