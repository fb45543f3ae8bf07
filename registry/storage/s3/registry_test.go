package s3_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/registry"
	"github.com/hookbench/hookbench/registry/storage/s3"
)

// recorder keeps every Action the registry reports.
type recorder struct {
	mu      sync.Mutex
	actions []registry.Action
}

func (r *recorder) Notify(_ context.Context, a registry.Action) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actions = append(r.actions, a)
}

func (r *recorder) take() []registry.Action {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.actions
	r.actions = nil
	return out
}

// replicas starts n registries on n drivers sharing the bucket, all
// reporting to one recorder.
func (e *env) replicas(n int) ([]*httptest.Server, *recorder) {
	rec := &recorder{}
	var out []*httptest.Server
	for range n {
		srv := httptest.NewServer(registry.New(registry.WithStorage(e.driver()), registry.WithListener(rec), registry.WithDelete(true)))
		e.t.Cleanup(srv.Close)
		out = append(out, srv)
	}
	return out, rec
}

func do(t *testing.T, method, url string, body io.Reader, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func errorCode(t *testing.T, resp *http.Response) string {
	t.Helper()
	var body struct{ Errors []struct{ Code string } }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Errors) == 0 {
		t.Fatalf("no error body (%d): %v", resp.StatusCode, err)
	}
	return body.Errors[0].Code
}

func expect(t *testing.T, resp *http.Response, status int, what string) {
	t.Helper()
	if resp.StatusCode != status {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s: %d %s, want %d", what, resp.StatusCode, b, status)
	}
}

// TestChunkedUploadAcrossReplicasHTTP: every request of one chunked upload
// goes to the next replica; the blob is complete and one event is owed.
func TestChunkedUploadAcrossReplicasHTTP(t *testing.T) {
	e := newEnv(t)
	srvs, rec := e.replicas(3)
	content := random(t, 3*64<<10+17)
	dg := digest.FromBytes(content)
	resp := do(t, http.MethodPost, srvs[0].URL+"/v2/team/app/blobs/uploads/", nil)
	expect(t, resp, http.StatusAccepted, "POST")
	loc := resp.Header.Get("Location")
	for i, off := 0, 0; off < len(content); i++ {
		end := min(off+64<<10, len(content))
		resp := do(t, http.MethodPatch, srvs[(i+1)%3].URL+loc, bytes.NewReader(content[off:end]),
			"Content-Type", "application/octet-stream", "Content-Range", fmt.Sprintf("%d-%d", off, end-1))
		expect(t, resp, http.StatusAccepted, fmt.Sprintf("PATCH %d", i))
		if got, want := resp.Header.Get("Range"), fmt.Sprintf("0-%d", end-1); got != want {
			t.Fatalf("PATCH %d: Range %s, want %s", i, got, want)
		}
		off = end
	}
	// A replica that saw none of it reports the upload's progress.
	resp = do(t, http.MethodGet, srvs[1].URL+loc, nil)
	expect(t, resp, http.StatusNoContent, "GET upload")
	if got := resp.Header.Get("Range"); got != fmt.Sprintf("0-%d", len(content)-1) {
		t.Fatalf("GET upload: Range %s", got)
	}
	resp = do(t, http.MethodPut, srvs[2].URL+loc+"?digest="+string(dg), nil)
	expect(t, resp, http.StatusCreated, "PUT")
	resp = do(t, http.MethodGet, srvs[0].URL+"/v2/team/app/blobs/"+string(dg), nil)
	expect(t, resp, http.StatusOK, "GET blob")
	if got, _ := io.ReadAll(resp.Body); !bytes.Equal(got, content) {
		t.Fatal("blob content differs")
	}
	var pushes int
	for _, a := range rec.take() {
		if a.Verb == registry.Push && a.Descriptor.Digest == dg {
			pushes++
		}
	}
	if pushes != 1 {
		t.Fatalf("%d push events for the blob, want 1", pushes)
	}
}

// TestOutage: with the store stopped, every request that needs it answers
// 503 UNAVAILABLE and no event is reported; once it is back, pushes work
// and what failed was never stored.
func TestOutage(t *testing.T) {
	e := newEnv(t)
	srvs, rec := e.replicas(2)
	url := srvs[0].URL
	before := []byte("stored before the outage")
	bdg := digest.FromBytes(before)
	expect(t, do(t, http.MethodPost, url+"/v2/r/blobs/uploads/?digest="+string(bdg), bytes.NewReader(before)), http.StatusCreated, "push before")
	started := do(t, http.MethodPost, url+"/v2/r/blobs/uploads/", nil)
	expect(t, started, http.StatusAccepted, "start upload")
	rec.take()

	if err := e.minio.Stop(); err != nil {
		t.Fatal(err)
	}
	during := []byte("pushed during the outage")
	ddg := digest.FromBytes(during)
	manifest := fmt.Appendf(nil, `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[]}`, bdg, len(before))
	for _, c := range []struct {
		what, method, path string
		body               []byte
		header             []string
	}{
		{"monolithic push", http.MethodPost, "/v2/r/blobs/uploads/?digest=" + string(ddg), during, nil},
		{"start upload", http.MethodPost, "/v2/r/blobs/uploads/", nil, nil},
		{"chunk", http.MethodPatch, started.Header.Get("Location"), during, []string{"Content-Type", "application/octet-stream"}},
		{"finish", http.MethodPut, started.Header.Get("Location") + "?digest=" + string(ddg), during, nil},
		{"mount", http.MethodPost, "/v2/other/blobs/uploads/?mount=" + string(bdg) + "&from=r", nil, nil},
		{"blob pull", http.MethodGet, "/v2/r/blobs/" + string(bdg), nil, nil},
		{"blob head", http.MethodHead, "/v2/r/blobs/" + string(bdg), nil, nil},
		{"manifest push", http.MethodPut, "/v2/r/manifests/v1", manifest, []string{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}},
		{"manifest pull", http.MethodGet, "/v2/r/manifests/v1", nil, nil},
		{"tags", http.MethodGet, "/v2/r/tags/list", nil, nil},
		{"catalog", http.MethodGet, "/v2/_catalog", nil, nil},
		{"blob delete", http.MethodDelete, "/v2/r/blobs/" + string(bdg), nil, nil},
	} {
		resp := do(t, c.method, url+c.path, bytes.NewReader(c.body), c.header...)
		if resp.StatusCode != http.StatusServiceUnavailable {
			b, _ := io.ReadAll(resp.Body)
			t.Errorf("%s during the outage: %d %s, want 503", c.what, resp.StatusCode, b)
			continue
		}
		if c.method != http.MethodHead {
			if code := errorCode(t, resp); code != "UNAVAILABLE" {
				t.Errorf("%s: code %s, want UNAVAILABLE", c.what, code)
			}
		}
	}
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("%d events for requests that failed: %+v", len(got), got)
	}

	if err := e.minio.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Nothing of the outage was stored; the earlier upload goes on.
	expect(t, do(t, http.MethodHead, srvs[1].URL+"/v2/r/blobs/"+string(ddg), nil), http.StatusNotFound, "blob pushed during the outage")
	expect(t, do(t, http.MethodHead, srvs[1].URL+"/v2/r/blobs/"+string(bdg), nil), http.StatusOK, "blob pushed before")
	expect(t, do(t, http.MethodPut, srvs[1].URL+started.Header.Get("Location")+"?digest="+string(ddg), bytes.NewReader(during)), http.StatusCreated, "finish after the outage")
	expect(t, do(t, http.MethodPut, srvs[0].URL+"/v2/r/manifests/v1", bytes.NewReader(manifest), "Content-Type", "application/vnd.oci.image.manifest.v1+json"), http.StatusCreated, "manifest after the outage")
	var pushes []string
	for _, a := range rec.take() {
		if a.Verb == registry.Push {
			pushes = append(pushes, string(a.Object)+" "+string(a.Descriptor.Digest))
		}
	}
	if want := []string{"blob " + string(ddg), "manifest " + string(digest.FromBytes(manifest))}; fmt.Sprint(pushes) != fmt.Sprint(want) {
		t.Fatalf("pushes after the outage %v, want %v", pushes, want)
	}
}

// TestOutageMidUpload: the store dies while a blob larger than a chunk
// streams in (its first part already sent): the push answers 503, no
// event, and nothing is stored.
func TestOutageMidUpload(t *testing.T) {
	e := newEnv(t)
	srvs, rec := e.replicas(1)
	content := random(t, 3*s3.MinChunkSize)
	dg := digest.FromBytes(content)
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, srvs[0].URL+"/v2/r/blobs/uploads/?digest="+string(dg), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(content))
	type result struct {
		status int
		code   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var body struct{ Errors []struct{ Code string } }
		json.NewDecoder(resp.Body).Decode(&body)
		r := result{status: resp.StatusCode}
		if len(body.Errors) > 0 {
			r.code = body.Errors[0].Code
		}
		done <- r
	}()
	// Past the first chunk: the registry has begun a multipart upload.
	if _, err := pw.Write(content[:s3.MinChunkSize+1]); err != nil {
		t.Fatal(err)
	}
	if err := e.minio.Kill(); err != nil {
		t.Fatal(err)
	}
	go func() { // the rest, until the registry stops reading
		_, err := pw.Write(content[s3.MinChunkSize+1:])
		pw.CloseWithError(err)
	}()
	r := <-done
	pw.CloseWithError(io.ErrClosedPipe)
	if r.err != nil || r.status != http.StatusServiceUnavailable || r.code != "UNAVAILABLE" {
		t.Fatalf("push while the store died: %d %s %v, want 503 UNAVAILABLE", r.status, r.code, r.err)
	}
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("events for a push that failed: %+v", got)
	}
	if err := e.minio.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	expect(t, do(t, http.MethodHead, srvs[0].URL+"/v2/r/blobs/"+string(dg), nil), http.StatusNotFound, "blob after the failed push")
	if keys := e.keys("blobs/"); len(keys) != 0 {
		t.Fatalf("content stored by a failed push: %v", keys)
	}
}
