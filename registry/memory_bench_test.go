package registry

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry/storage/filesystem"
)

// BenchmarkManifestHeap pushes b.N unique manifests, each by its own tag,
// over 64 repositories on filesystem storage, and reports the heap still
// in use per stored manifest. It measures memory, not time: run it with a
// fixed count, e.g. -run '^$' -bench ManifestHeap -benchtime 200000x.
// heap-B/manifest-reloaded is the same after a restart has replayed every
// repository's journal.
func BenchmarkManifestHeap(b *testing.B) {
	const repos = 64
	root := b.TempDir()
	d, err := filesystem.New(root)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { d.Close() }()
	h := New(WithStorage(d))
	names := make([]string, repos)
	type seeds struct{ cfg, layer digest.Digest }
	blobs := make([]seeds, repos)
	for r := range names {
		names[r] = "bench/r" + strconv.Itoa(r)
		blobs[r] = seeds{seedBlob(b, h, names[r], []byte("{}")), seedBlob(b, h, names[r], []byte("layer"))}
	}
	before := heapInUse()
	b.ResetTimer()
	for i := range b.N {
		r := i % repos
		m := benchManifest(blobs[r].cfg, blobs[r].layer, uint64(i))
		req := httptest.NewRequest("PUT", "/v2/"+names[r]+"/manifests/t"+strconv.Itoa(i), bytes.NewReader(m))
		req.Header.Set("Content-Type", v1.MediaTypeImageManifest)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			b.Fatalf("PUT %d %s", w.Code, w.Body.String())
		}
	}
	b.StopTimer()
	after := heapInUse()
	b.ReportMetric(float64(int64(after)-int64(before))/float64(b.N), "heap-B/manifest")
	runtime.KeepAlive(h)

	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
	d, h = nil, nil
	before = heapInUse()
	if d, err = filesystem.New(root); err != nil {
		b.Fatal(err)
	}
	for r, name := range names {
		if tags, err := d.Tags(context.Background(), name); err != nil || (len(tags) == 0) != (r >= b.N) {
			b.Fatalf("tags of %s after restart: %d, %v", name, len(tags), err)
		}
	}
	after = heapInUse()
	b.ReportMetric(float64(int64(after)-int64(before))/float64(b.N), "heap-B/manifest-reloaded")
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
