package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry/storage"
	"github.com/hookbench/hookbench/registry/storage/filesystem"
	"github.com/hookbench/hookbench/registry/storage/inmemory"
)

// drivers returns one fresh instance of each storage driver.
func drivers(t testing.TB) map[string]storage.Driver {
	t.Helper()
	fs, err := filesystem.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]storage.Driver{"inmemory": inmemory.New(), "filesystem": fs}
}

// eachDriver runs f against a registry on each storage driver.
func eachDriver(t *testing.T, f func(t *testing.T, c *client), opts ...Option) {
	for name, d := range drivers(t) {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			reg := New(append([]Option{WithStorage(d), WithListener(rec), WithDelete(true)}, opts...)...)
			f(t, &client{t: t, h: reg, events: rec})
		})
	}
}

// recorder is a Listener that keeps every Action.
type recorder struct {
	mu      sync.Mutex
	actions []Action
}

func (r *recorder) Notify(_ context.Context, a Action) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actions = append(r.actions, a)
}

func (r *recorder) take() []Action {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.actions
	r.actions = nil
	return out
}

// client drives the handler in-process.
type client struct {
	t      *testing.T
	h      http.Handler
	events *recorder
}

type response struct {
	*httptest.ResponseRecorder
}

func (r response) header(k string) string { return r.Header().Get(k) }

// errorCode returns the first error code of an error body.
func (r response) errorCode() string {
	var body struct {
		Errors []struct{ Code string } `json:"errors"`
	}
	if err := json.Unmarshal(r.Body.Bytes(), &body); err != nil || len(body.Errors) == 0 {
		return ""
	}
	return body.Errors[0].Code
}

func (c *client) do(method, path string, body []byte, hdr ...string) response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, req)
	return response{w}
}

// expect checks status (and error code when code is not empty).
func (c *client) expect(r response, status int, code string) {
	c.t.Helper()
	if r.Code != status {
		c.t.Fatalf("status %d, want %d; body %s", r.Code, status, r.Body.String())
	}
	if code != "" && r.errorCode() != code {
		c.t.Fatalf("error code %q, want %q; body %s", r.errorCode(), code, r.Body.String())
	}
	if r.Code >= 400 && r.header("Content-Type") != "application/json" && r.Code != http.StatusRequestedRangeNotSatisfiable {
		c.t.Fatalf("error without JSON body: %q", r.header("Content-Type"))
	}
}

// pushBlob uploads content with POST then PUT and returns its digest.
func (c *client) pushBlob(repo string, content []byte) digest.Digest {
	c.t.Helper()
	d := digest.FromBytes(content)
	r := c.do("POST", "/v2/"+repo+"/blobs/uploads/", nil)
	c.expect(r, http.StatusAccepted, "")
	loc := r.header("Location")
	r = c.do("PUT", loc+"?digest="+string(d), content)
	c.expect(r, http.StatusCreated, "")
	return d
}

// imageManifest builds an OCI image manifest over config and layers.
func imageManifest(config digest.Digest, configSize int64, layers ...v1.Descriptor) []byte {
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     v1.MediaTypeImageManifest,
		"config":        v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: config, Size: configSize},
		"layers":        append([]v1.Descriptor{}, layers...),
	}
	b, _ := json.Marshal(m)
	return b
}

// pushImage pushes a config and one layer blob and a manifest by ref.
func (c *client) pushImage(repo, ref string, seed string) (digest.Digest, []byte) {
	c.t.Helper()
	cfg := []byte(`{"seed":"` + seed + `"}`)
	layer := []byte("layer " + seed)
	cd := c.pushBlob(repo, cfg)
	ld := c.pushBlob(repo, layer)
	m := imageManifest(cd, int64(len(cfg)), v1.Descriptor{MediaType: v1.MediaTypeImageLayer, Digest: ld, Size: int64(len(layer))})
	r := c.do("PUT", "/v2/"+repo+"/manifests/"+ref, m, "Content-Type", v1.MediaTypeImageManifest)
	c.expect(r, http.StatusCreated, "")
	return digest.FromBytes(m), m
}

func jsonBody(s string) []byte { return []byte(strings.TrimSpace(s)) }

func newRequest(method, path string, body []byte) *http.Request {
	return httptest.NewRequest(method, path, bytes.NewReader(body))
}

func (c *client) serve(req *http.Request) response {
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, req)
	return response{w}
}

type v1Descriptor = v1.Descriptor

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		return &url.URL{Path: s}
	}
	return u
}
