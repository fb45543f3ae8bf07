package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// The load shape: 32 concurrent clients. Run with -cpu 2, so
// SetParallelism(16) gives 32 goroutines.
const benchParallelism = 16

// uniqueBlob returns 1 KiB of content unique to n.
func uniqueBlob(seed []byte, n uint64) []byte {
	b := make([]byte, 1024)
	copy(b, seed)
	binary.LittleEndian.PutUint64(b[len(b)-8:], n)
	return b
}

func benchDrivers(b *testing.B, f func(b *testing.B, h http.Handler)) {
	for name, d := range drivers(b) {
		b.Run(name, func(b *testing.B) { f(b, New(WithStorage(d), WithListener(ListenerFunc(noopNotify)))) })
	}
}

func noopNotify(context.Context, Action) {}

// BenchmarkBlobUpload is one 1 KiB blob push (POST, then PUT with the
// body) through the handler, in process.
func BenchmarkBlobUpload(b *testing.B) {
	benchDrivers(b, func(b *testing.B, h http.Handler) {
		seed := make([]byte, 32)
		rand.Read(seed)
		var n atomic.Uint64
		b.SetParallelism(benchParallelism)
		b.SetBytes(1024)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				content := uniqueBlob(seed, n.Add(1))
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("POST", "/v2/bench/blobs/uploads/", nil))
				if w.Code != http.StatusAccepted {
					b.Fatalf("POST %d", w.Code)
				}
				loc := w.Header().Get("Location") + "?digest=" + string(digest.FromBytes(content))
				w = httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("PUT", loc, bytes.NewReader(content)))
				if w.Code != http.StatusCreated {
					b.Fatalf("PUT %d %s", w.Code, w.Body.String())
				}
			}
		})
	})
}

// benchManifest returns a unique manifest over seeded blobs.
func benchManifest(cfg, layer digest.Digest, n uint64) []byte {
	m, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": v1.MediaTypeImageManifest,
		"config":      v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: cfg, Size: 2},
		"layers":      []v1.Descriptor{{MediaType: v1.MediaTypeImageLayer, Digest: layer, Size: 5}},
		"annotations": map[string]string{"n": strconv.FormatUint(n, 10)},
	})
	return m
}

// BenchmarkManifestPut is one manifest PUT by tag through the handler, in
// process, every manifest unique, referencing two existing blobs.
func BenchmarkManifestPut(b *testing.B) {
	benchDrivers(b, func(b *testing.B, h http.Handler) {
		cfg := seedBlob(b, h, "bench", []byte("{}"))
		layer := seedBlob(b, h, "bench", []byte("layer"))
		var n atomic.Uint64
		b.SetParallelism(benchParallelism)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				m := benchManifest(cfg, layer, i)
				req := httptest.NewRequest("PUT", "/v2/bench/manifests/t"+strconv.FormatUint(i%1000, 10), bytes.NewReader(m))
				req.Header.Set("Content-Type", v1.MediaTypeImageManifest)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusCreated {
					b.Fatalf("PUT %d %s", w.Code, w.Body.String())
				}
			}
		})
	})
}

func seedBlob(b *testing.B, h http.Handler, repo string, content []byte) digest.Digest {
	d := digest.FromBytes(content)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/v2/"+repo+"/blobs/uploads/?digest="+string(d), bytes.NewReader(content)))
	if w.Code != http.StatusCreated {
		b.Fatalf("seed blob: %d", w.Code)
	}
	return d
}

// BenchmarkHTTPBlobPush and BenchmarkHTTPManifestPut are the same loads
// over real loopback HTTP (keep-alive clients), the figure to compare with
// another registry.
func BenchmarkHTTPBlobPush(b *testing.B) {
	benchDrivers(b, func(b *testing.B, h http.Handler) {
		srv := httptest.NewServer(h)
		defer srv.Close()
		client := benchClient()
		seed := make([]byte, 32)
		rand.Read(seed)
		var n atomic.Uint64
		b.SetParallelism(benchParallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				content := uniqueBlob(seed, n.Add(1))
				resp, err := client.Post(srv.URL+"/v2/bench/blobs/uploads/", "", nil)
				if err != nil {
					b.Fatal(err)
				}
				drain(resp)
				if resp.StatusCode != http.StatusAccepted {
					b.Fatalf("POST %d", resp.StatusCode)
				}
				req, _ := http.NewRequest("PUT", srv.URL+resp.Header.Get("Location")+"?digest="+string(digest.FromBytes(content)), bytes.NewReader(content))
				req.Header.Set("Content-Type", "application/octet-stream")
				resp, err = client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				drain(resp)
				if resp.StatusCode != http.StatusCreated {
					b.Fatalf("PUT %d", resp.StatusCode)
				}
			}
		})
	})
}

func BenchmarkHTTPManifestPut(b *testing.B) {
	benchDrivers(b, func(b *testing.B, h http.Handler) {
		srv := httptest.NewServer(h)
		defer srv.Close()
		client := benchClient()
		cfg := seedBlob(b, h, "bench", []byte("{}"))
		layer := seedBlob(b, h, "bench", []byte("layer"))
		var n atomic.Uint64
		b.SetParallelism(benchParallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/v2/bench/manifests/t%d", srv.URL, i%1000), bytes.NewReader(benchManifest(cfg, layer, i)))
				req.Header.Set("Content-Type", v1.MediaTypeImageManifest)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				drain(resp)
				if resp.StatusCode != http.StatusCreated {
					b.Fatalf("PUT %d", resp.StatusCode)
				}
			}
		})
	})
}

func benchClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: tr}
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
