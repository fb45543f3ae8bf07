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
