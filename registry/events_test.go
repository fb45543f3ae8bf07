package registry

import (
	"bytes"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// brief is the part of an Action a test compares.
type brief struct {
	Verb       Verb
	Object     Object
	Repository string
	From       string
	Tag        string
	Digest     digest.Digest
	MediaType  string
	Refs       int
}

func briefs(as []Action) []brief {
	out := make([]brief, 0, len(as))
	for _, a := range as {
		out = append(out, brief{a.Verb, a.Object, a.Repository, a.FromRepository, a.Tag, a.Descriptor.Digest, a.Descriptor.MediaType, len(a.References)})
	}
	return out
}

func (c *client) expectEvents(want ...brief) []Action {
	c.t.Helper()
	got := c.events.take()
	if b := briefs(got); !(len(b) == 0 && len(want) == 0) && !reflect.DeepEqual(b, want) {
		c.t.Fatalf("events\n got %+v\nwant %+v", briefs(got), want)
	}
	return got
}

func TestEvents(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		const om = v1.MediaTypeImageManifest
		// Blob push by POST+PUT, by single POST, and a chunked upload: one
		// push each, at commit. Failed requests report nothing.
		cfg := c.pushBlob("r", []byte("{}"))
		c.expectEvents(brief{Push, Blob, "r", "", "", cfg, "", 0})
		layer := []byte("layer")
		ld := digest.FromBytes(layer)
		c.do("POST", "/v2/r/blobs/uploads/?digest="+string(ld), layer)
		c.expectEvents(brief{Push, Blob, "r", "", "", ld, "", 0})
		c.do("POST", "/v2/r/blobs/uploads/?digest="+string(digest.FromString("x")), layer)
		c.do("GET", "/v2/r/blobs/"+string(digest.FromString("x")), nil)
		c.expectEvents()

		// Pull: GET and HEAD, as Distribution.
		c.do("GET", "/v2/r/blobs/"+string(ld), nil)
		c.do("HEAD", "/v2/r/blobs/"+string(ld), nil)
		c.expectEvents(brief{Pull, Blob, "r", "", "", ld, "", 0}, brief{Pull, Blob, "r", "", "", ld, "", 0})

		// Mount carries the source repository.
		c.do("POST", "/v2/r2/blobs/uploads/?mount="+string(ld)+"&from=r", nil)
		c.expectEvents(brief{Mount, Blob, "r2", "r", "", ld, "", 0})

		// Manifest push by tag carries the tag and config+layers.
		m := imageManifest(cfg, 2, v1.Descriptor{MediaType: v1.MediaTypeImageLayer, Digest: ld, Size: 5})
		md := digest.FromBytes(m)
		c.do("PUT", "/v2/r/manifests/v1", m, "Content-Type", om)
		got := c.expectEvents(brief{Push, Manifest, "r", "", "v1", md, om, 2})
		if got[0].Descriptor.Size != int64(len(m)) || got[0].References[0].Digest != cfg || got[0].References[1].Digest != ld {
			t.Fatalf("manifest push action %+v", got[0])
		}
		c.do("PUT", "/v2/r/manifests/v2", m, "Content-Type", om)
		c.do("PUT", "/v2/r/manifests/"+string(md), m, "Content-Type", om)
		c.expectEvents(brief{Push, Manifest, "r", "", "v2", md, om, 2}, brief{Push, Manifest, "r", "", "", md, om, 2})

		// An index references its child manifests, not the subject.
		idx := []byte(`{"schemaVersion":2,"mediaType":"` + v1.MediaTypeImageIndex + `","manifests":[{"mediaType":"` + om + `","digest":"` + string(md) + `","size":` + itoa(len(m)) + `}],"subject":{"mediaType":"` + om + `","digest":"` + string(md) + `","size":1}}`)
		c.do("PUT", "/v2/r/manifests/idx", idx, "Content-Type", v1.MediaTypeImageIndex)
		c.expectEvents(brief{Push, Manifest, "r", "", "idx", digest.FromBytes(idx), v1.MediaTypeImageIndex, 1})

		// Manifest pull by tag and digest, GET and HEAD.
		c.do("GET", "/v2/r/manifests/v1", nil)
		c.do("HEAD", "/v2/r/manifests/"+string(md), nil)
		c.expectEvents(brief{Pull, Manifest, "r", "", "v1", md, om, 2}, brief{Pull, Manifest, "r", "", "", md, om, 2})

		// Delete by tag: one tag delete. By digest: the manifest and every
		// tag that still pointed at it.
		c.do("DELETE", "/v2/r/manifests/v2", nil)
		c.expectEvents(brief{Delete, Tag, "r", "", "v2", "", "", 0})
		c.do("PUT", "/v2/r/manifests/v3", m, "Content-Type", om)
		c.events.take()
		c.do("DELETE", "/v2/r/manifests/"+string(md), nil)
		c.expectEvents(brief{Delete, Manifest, "r", "", "", md, "", 0}, brief{Delete, Tag, "r", "", "v1", "", "", 0}, brief{Delete, Tag, "r", "", "v3", "", "", 0})

		// Blob delete.
		c.do("DELETE", "/v2/r/blobs/"+string(ld), nil)
		c.expectEvents(brief{Delete, Blob, "r", "", "", ld, "", 0})
		// Failed deletes report nothing.
		c.do("DELETE", "/v2/r/blobs/"+string(ld), nil)
		c.do("DELETE", "/v2/r/manifests/"+string(md), nil)
		c.expectEvents()
	})
}

func TestEventRequestInfo(t *testing.T) {
	rec := &recorder{}
	reg := New(WithListener(rec), WithAuthenticator(func(r *http.Request) (string, bool) {
		u, p, ok := r.BasicAuth()
		return u, ok && u == "alice" && p == "secret"
	}, "test realm"))
	c := &client{t: t, h: reg, events: rec}

	r := c.do("GET", "/v2/", nil)
	c.expect(r, http.StatusUnauthorized, "UNAUTHORIZED")
	if r.header("WWW-Authenticate") != `Basic realm="test realm"` {
		t.Fatalf("challenge %q", r.header("WWW-Authenticate"))
	}
	req := newRequest("POST", "/v2/a/blobs/uploads/?digest="+string(digest.FromString("x")), []byte("x"))
	req.SetBasicAuth("alice", "wrong")
	c.expect(c.serve(req), http.StatusUnauthorized, "UNAUTHORIZED")
	c.expectEvents()

	req = newRequest("POST", "/v2/a/blobs/uploads/?digest="+string(digest.FromString("x")), []byte("x"))
	req.SetBasicAuth("alice", "secret")
	req.Header.Set("User-Agent", "test-agent/1")
	req.Header.Set("X-Request-Id", "req-123")
	req.RemoteAddr = "192.0.2.7:4242"
	req.Host = "registry.test:5000"
	r = c.serve(req)
	c.expect(r, http.StatusCreated, "")
	if r.header("X-Request-Id") != "req-123" {
		t.Fatalf("request id not echoed: %q", r.header("X-Request-Id"))
	}
	a := c.events.take()
	if len(a) != 1 {
		t.Fatalf("%d events", len(a))
	}
	want := RequestInfo{ID: "req-123", Addr: "192.0.2.7:4242", Host: "registry.test:5000", Method: "POST", UserAgent: "test-agent/1", Scheme: "http"}
	if a[0].Request != want || a[0].User != "alice" {
		t.Fatalf("request info %+v user %q", a[0].Request, a[0].User)
	}
	// Without a client id, one is generated and returned.
	req = newRequest("GET", "/v2/", nil)
	req.SetBasicAuth("alice", "secret")
	r = c.serve(req)
	if len(r.header("X-Request-Id")) != 36 {
		t.Fatalf("generated id %q", r.header("X-Request-Id"))
	}
}

func TestRequestLog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	c := &client{t: t, h: New(WithLogger(log)), events: &recorder{}}
	req := newRequest("GET", "/v2/a/tags/list", nil)
	req.Header.Set("X-Request-Id", "log-1")
	c.serve(req)
	line := buf.String()
	for _, want := range []string{"request_id=log-1", "method=GET", "path=/v2/a/tags/list", "status=404", "duration="} {
		if !strings.Contains(line, want) {
			t.Fatalf("log line %q lacks %q", line, want)
		}
	}
	// The stand-alone middleware logs any handler the same way.
	buf.Reset()
	h := Logging(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	rr := (&client{t: t, h: h}).serve(newRequest("GET", "/x", nil))
	if rr.Code != http.StatusTeapot || !strings.Contains(buf.String(), "status=418") {
		t.Fatalf("middleware log %q", buf.String())
	}
}
