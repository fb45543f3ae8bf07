package registry

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// refusing is a StoringListener whose durable queue is full while full is
// set: NotifyStored fails and keeps nothing.
type refusing struct {
	recorder
	full  atomic.Bool
	mu    sync.Mutex
	calls [][]Action // what each successful NotifyStored kept, together
}

func (r *refusing) NotifyStored(_ context.Context, actions ...Action) error {
	if r.full.Load() {
		return errors.New("disk queue: no space left on device")
	}
	r.mu.Lock()
	r.calls = append(r.calls, actions)
	r.mu.Unlock()
	for _, a := range actions {
		r.recorder.Notify(context.Background(), a)
	}
	return nil
}

// TestUnstoredEventFailsTheRequest: every request that changes the
// registry answers 503 UNAVAILABLE (never 2xx) while its event cannot be
// stored; what it changed is stored, and the same request retried once
// the queue has room answers success and emits the event.
func TestUnstoredEventFailsTheRequest(t *testing.T) {
	for name, d := range drivers(t) {
		t.Run(name, func(t *testing.T) {
			l := &refusing{}
			c := &client{t: t, h: New(WithStorage(d), WithListener(l), WithDelete(true)), events: &l.recorder}
			// retry runs req while full (503, nothing kept), then again with room.
			retry := func(what string, req func() response, okStatus int, want ...brief) {
				t.Helper()
				l.full.Store(true)
				r := req()
				if r.Code != http.StatusServiceUnavailable || r.errorCode() != "UNAVAILABLE" || r.header("Content-Type") != "application/json" {
					t.Fatalf("%s with a full queue: %d %q %s, want 503 UNAVAILABLE", what, r.Code, r.errorCode(), r.Body.String())
				}
				c.expectEvents()
				l.full.Store(false)
				r = req()
				c.expect(r, okStatus, "")
				c.expectEvents(want...)
			}

			// Monolithic POST then PUT: the PUT is what is retried.
			content := []byte("layer one")
			ld := digest.FromBytes(content)
			r := c.do("POST", "/v2/r/blobs/uploads/", nil)
			loc := r.header("Location")
			l.full.Store(true)
			r = c.do("PUT", loc+"?digest="+string(ld), content)
			c.expect(r, http.StatusServiceUnavailable, "UNAVAILABLE")
			l.full.Store(false)
			c.expect(c.do("HEAD", "/v2/r/blobs/"+string(ld), nil), http.StatusOK, "") // already stored
			c.expectEvents(brief{Pull, Blob, "r", "", "", ld, "", 0})
			retry("blob push (POST then PUT)", func() response {
				r := c.do("POST", "/v2/r/blobs/uploads/", nil)
				return c.do("PUT", r.header("Location")+"?digest="+string(ld), content)
			}, http.StatusCreated, brief{Push, Blob, "r", "", "", ld, "", 0})

			single := []byte("single post")
			sd := digest.FromBytes(single)
			retry("single POST upload", func() response {
				return c.do("POST", "/v2/r/blobs/uploads/?digest="+string(sd), single)
			}, http.StatusCreated, brief{Push, Blob, "r", "", "", sd, "", 0})

			chunk := []byte("chunked upload")
			cd := digest.FromBytes(chunk)
			retry("chunked upload", func() response {
				r := c.do("POST", "/v2/r/blobs/uploads/", nil)
				r = c.do("PATCH", r.header("Location"), chunk, "Content-Range", "0-13", "Content-Type", "application/octet-stream")
				return c.do("PUT", r.header("Location")+"?digest="+string(cd), nil)
			}, http.StatusCreated, brief{Push, Blob, "r", "", "", cd, "", 0})

			retry("mount", func() response {
				return c.do("POST", "/v2/other/blobs/uploads/?mount="+string(ld)+"&from=r", nil)
			}, http.StatusCreated, brief{Mount, Blob, "other", "r", "", ld, "", 0})

			cfg := c.pushBlob("r", []byte("{}"))
			c.expectEvents(brief{Push, Blob, "r", "", "", cfg, "", 0})
			m := imageManifest(cfg, 2, v1.Descriptor{MediaType: v1.MediaTypeImageLayer, Digest: ld, Size: int64(len(content))})
			md := digest.FromBytes(m)
			om := v1.MediaTypeImageManifest
			retry("manifest push with two ?tag=", func() response {
				return c.do("PUT", "/v2/r/manifests/"+string(md)+"?tag=a&tag=b", m, "Content-Type", om)
			}, http.StatusCreated, brief{Push, Manifest, "r", "", "a", md, om, 2}, brief{Push, Manifest, "r", "", "b", md, om, 2})
			l.mu.Lock()
			last := l.calls[len(l.calls)-1]
			l.mu.Unlock()
			if len(last) != 2 {
				t.Fatalf("the two tags' events were stored in %d call(s), want together in one", len(l.calls))
			}

			// A delete answered 503 is done all the same (the 503 says its
			// event was not kept): retrying it finds nothing to delete.
			for _, del := range []string{"/v2/r/manifests/a", "/v2/r/manifests/" + string(md), "/v2/r/blobs/" + string(sd)} {
				l.full.Store(true)
				c.expect(c.do("DELETE", del, nil), http.StatusServiceUnavailable, "UNAVAILABLE")
				l.full.Store(false)
				r := c.do("DELETE", del, nil)
				if r.Code != http.StatusNotFound {
					t.Fatalf("DELETE %s again: %d, want 404", del, r.Code)
				}
				c.expectEvents()
			}
			c.expect(c.do("DELETE", "/v2/r/manifests/b", nil), http.StatusNotFound, "") // gone with its manifest
		})
	}
}
