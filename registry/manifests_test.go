package registry

import (
	"bytes"
	"encoding/json"
	"github.com/hookbench/hookbench/registry/storage"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestManifestPushPull(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		d, m := c.pushImage("a/b", "v1", "one")
		for _, ref := range []string{"v1", string(d)} {
			r := c.do("GET", "/v2/a/b/manifests/"+ref, nil, "Accept", v1.MediaTypeImageManifest)
			c.expect(r, http.StatusOK, "")
			if !bytes.Equal(r.Body.Bytes(), m) || r.header("Content-Type") != v1.MediaTypeImageManifest || r.header("Docker-Content-Digest") != string(d) {
				t.Fatalf("GET %s: %v %q", ref, r.Header(), r.Body.String())
			}
			r = c.do("HEAD", "/v2/a/b/manifests/"+ref, nil)
			c.expect(r, http.StatusOK, "")
			if r.Body.Len() != 0 || r.header("Content-Length") != itoa(len(m)) {
				t.Fatalf("HEAD %s: %v", ref, r.Header())
			}
		}
		// Accept negotiation: a client that reads only Docker formats does
		// not get an OCI manifest by tag, but does by digest.
		c.expect(c.do("GET", "/v2/a/b/manifests/v1", nil, "Accept", storage.MediaTypeDockerManifest), http.StatusNotFound, "MANIFEST_UNKNOWN")
		c.expect(c.do("GET", "/v2/a/b/manifests/"+string(d), nil, "Accept", storage.MediaTypeDockerManifest), http.StatusOK, "")
		c.expect(c.do("GET", "/v2/a/b/manifests/v1", nil, "Accept", "*/*"), http.StatusOK, "")
		c.expect(c.do("GET", "/v2/a/b/manifests/v1", nil, "Accept", storage.MediaTypeDockerManifest+", "+v1.MediaTypeImageManifest+";q=0.5"), http.StatusOK, "")

		// Re-tagging moves the tag.
		d2, _ := c.pushImage("a/b", "v1", "two")
		r := c.do("HEAD", "/v2/a/b/manifests/v1", nil)
		if r.header("Docker-Content-Digest") != string(d2) {
			t.Fatalf("tag did not move: %v", r.Header())
		}
		c.expect(c.do("GET", "/v2/a/b/manifests/"+string(d), nil), http.StatusOK, "")
		c.expect(c.do("GET", "/v2/a/b/manifests/nope", nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
		c.expect(c.do("GET", "/v2/zz/manifests/v1", nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestDockerManifestAndList(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		cfg := []byte(`{"architecture":"amd64"}`)
		cd := c.pushBlob("d", cfg)
		ld := c.pushBlob("d", []byte("layer"))
		m := []byte(`{"schemaVersion":2,"mediaType":"` + storage.MediaTypeDockerManifest + `","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"` + string(cd) + `","size":24},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"` + string(ld) + `","size":5}]}`)
		c.expect(c.do("PUT", "/v2/d/manifests/amd64", m, "Content-Type", storage.MediaTypeDockerManifest), http.StatusCreated, "")
		md := digest.FromBytes(m)
		list := []byte(`{"schemaVersion":2,"mediaType":"` + storage.MediaTypeDockerManifestList + `","manifests":[{"mediaType":"` + storage.MediaTypeDockerManifest + `","digest":"` + string(md) + `","size":` + itoa(len(m)) + `,"platform":{"architecture":"amd64","os":"linux"}}]}`)
		c.expect(c.do("PUT", "/v2/d/manifests/latest", list, "Content-Type", storage.MediaTypeDockerManifestList), http.StatusCreated, "")
		// Docker types are served whatever the Accept header says.
		r := c.do("GET", "/v2/d/manifests/latest", nil, "Accept", v1.MediaTypeImageManifest)
		c.expect(r, http.StatusOK, "")
		if r.header("Content-Type") != storage.MediaTypeDockerManifestList {
			t.Fatalf("content type %q", r.header("Content-Type"))
		}
		// A list whose child is missing.
		bad := []byte(strings.Replace(string(list), string(md), string(digest.FromString("missing")), 1))
		c.expect(c.do("PUT", "/v2/d/manifests/bad", bad, "Content-Type", storage.MediaTypeDockerManifestList), http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN")
	})
}

func TestManifestBadInput(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		cfg := []byte("{}")
		cd := c.pushBlob("a", cfg)
		good := imageManifest(cd, 2)
		ct := []string{"Content-Type", v1.MediaTypeImageManifest}
		put := func(ref string, body []byte, hdr ...string) response {
			return c.do("PUT", "/v2/a/manifests/"+ref, body, hdr...)
		}
		c.expect(put("ok", good, ct...), http.StatusCreated, "")
		c.expect(put("x", []byte("{not json"), ct...), http.StatusBadRequest, "MANIFEST_INVALID")
		c.expect(put("x", []byte(`{"schemaVersion":1}`), ct...), http.StatusBadRequest, "MANIFEST_INVALID")
		c.expect(put("x", good, "Content-Type", "application/vnd.example.unknown+json"), http.StatusBadRequest, "MANIFEST_INVALID")
		c.expect(put("x", good, "Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws"), http.StatusBadRequest, "MANIFEST_INVALID")
		c.expect(put("x", good, "Content-Type", v1.MediaTypeImageIndex), http.StatusBadRequest, "MANIFEST_INVALID")
		c.expect(put("x", good, "Content-Type", ";;"), http.StatusBadRequest, "MANIFEST_INVALID")
		noConfig := []byte(`{"schemaVersion":2,"mediaType":"` + v1.MediaTypeImageManifest + `","layers":[]}`)
		c.expect(put("x", noConfig, ct...), http.StatusBadRequest, "MANIFEST_INVALID")
		badDesc := []byte(`{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:xyz","size":1},"layers":[]}`)
		c.expect(put("x", badDesc, ct...), http.StatusBadRequest, "MANIFEST_INVALID")
		missing := imageManifest(digest.FromString("not pushed"), 3)
		c.expect(put("x", missing, ct...), http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN")
		// Digest in the URL must match; a malformed one is DIGEST_INVALID.
		c.expect(put(string(digest.FromString("other")), good, ct...), http.StatusBadRequest, "DIGEST_INVALID")
		c.expect(put("sha256:baddigeststring", good, ct...), http.StatusBadRequest, "DIGEST_INVALID")
		c.expect(put(string(digest.FromBytes(good)), good, ct...), http.StatusCreated, "")
		c.expect(put("bad!tag", good, ct...), http.StatusBadRequest, "MANIFEST_INVALID")
		c.expect(put(strings.Repeat("t", 129), good, ct...), http.StatusBadRequest, "MANIFEST_INVALID")
		c.expect(put(string(digest.FromBytes(good))+"?tag=bad!", good, ct...), http.StatusBadRequest, "MANIFEST_INVALID")
		c.expect(c.do("GET", "/v2/a/manifests/sha256:baddigeststring", nil), http.StatusBadRequest, "DIGEST_INVALID")
		c.expect(c.do("POST", "/v2/a/manifests/ok", nil), http.StatusMethodNotAllowed, "UNSUPPORTED")
		// Manifest whose mediaType field disagrees with Content-Type.
		idx := []byte(`{"schemaVersion":2,"mediaType":"` + v1.MediaTypeImageIndex + `","manifests":[]}`)
		c.expect(put("x", idx, ct...), http.StatusBadRequest, "MANIFEST_INVALID")
		c.expect(put("idx", idx, "Content-Type", v1.MediaTypeImageIndex), http.StatusCreated, "")
		// Without Content-Type the body's mediaType decides.
		r := put("noct", idx)
		c.expect(r, http.StatusCreated, "")
		if r := c.do("GET", "/v2/a/manifests/noct", nil); r.header("Content-Type") != v1.MediaTypeImageIndex {
			t.Fatalf("content type %q", r.header("Content-Type"))
		}
	})
}

func TestManifestSizeLimit(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		cd := c.pushBlob("a", []byte("{}"))
		m := map[string]any{
			"schemaVersion": 2, "mediaType": v1.MediaTypeImageManifest,
			"config":      v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: cd, Size: 2},
			"layers":      []v1.Descriptor{},
			"annotations": map[string]string{"big": strings.Repeat("A", 2000)},
		}
		body, _ := json.Marshal(m)
		r := c.do("PUT", "/v2/a/manifests/big", body, "Content-Type", v1.MediaTypeImageManifest)
		c.expect(r, http.StatusRequestEntityTooLarge, "SIZE_INVALID")
		// Streamed without Content-Length: still refused.
		req := newRequest("PUT", "/v2/a/manifests/big", body)
		req.ContentLength = -1
		req.Header.Set("Content-Type", v1.MediaTypeImageManifest)
		c.expect(c.serve(req), http.StatusRequestEntityTooLarge, "SIZE_INVALID")
	}, WithMaxManifestSize(1024))
}

func TestDefaultManifestLimitAcceptsLargeManifest(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		cd := c.pushBlob("a", []byte("{}"))
		ann := map[string]string{}
		for i := 0; i < 390; i++ { // like the conformance suite's large manifest
			ann["k"+itoa(i)] = strings.Repeat("A", 10000)
		}
		body, _ := json.Marshal(map[string]any{
			"schemaVersion": 2, "mediaType": v1.MediaTypeImageManifest,
			"config": v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: cd, Size: 2},
			"layers": []v1.Descriptor{}, "annotations": ann,
		})
		c.expect(c.do("PUT", "/v2/a/manifests/large", body, "Content-Type", v1.MediaTypeImageManifest), http.StatusCreated, "")
		big := bytes.Repeat([]byte(" "), DefaultMaxManifestSize+1)
		c.expect(c.do("PUT", "/v2/a/manifests/huge", big, "Content-Type", v1.MediaTypeImageManifest), http.StatusRequestEntityTooLarge, "SIZE_INVALID")
	})
}

func TestManifestDelete(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		d, m := c.pushImage("a", "v1", "x")
		c.expect(c.do("PUT", "/v2/a/manifests/v2", m, "Content-Type", v1.MediaTypeImageManifest), http.StatusCreated, "")
		c.expect(c.do("PUT", "/v2/a/manifests/other", imageManifest(c.pushBlob("a", []byte("c2")), 2), "Content-Type", v1.MediaTypeImageManifest), http.StatusCreated, "")
		// By tag: only the tag goes.
		c.expect(c.do("DELETE", "/v2/a/manifests/v2", nil), http.StatusAccepted, "")
		c.expect(c.do("HEAD", "/v2/a/manifests/v2", nil), http.StatusNotFound, "")
		c.expect(c.do("HEAD", "/v2/a/manifests/"+string(d), nil), http.StatusOK, "")
		c.expect(c.do("DELETE", "/v2/a/manifests/v2", nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
		// By digest: the manifest and its remaining tag go.
		c.expect(c.do("DELETE", "/v2/a/manifests/"+string(d), nil), http.StatusAccepted, "")
		c.expect(c.do("HEAD", "/v2/a/manifests/"+string(d), nil), http.StatusNotFound, "")
		c.expect(c.do("HEAD", "/v2/a/manifests/v1", nil), http.StatusNotFound, "")
		c.expect(c.do("DELETE", "/v2/a/manifests/"+string(d), nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
		r := c.do("GET", "/v2/a/tags/list", nil)
		if strings.TrimSpace(r.Body.String()) != `{"name":"a","tags":["other"]}` {
			t.Fatalf("tags after delete %s", r.Body.String())
		}
	})
}

func TestTagParameter(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		cd := c.pushBlob("a", []byte("{}"))
		m := imageManifest(cd, 2)
		d := digest.SHA512.FromBytes(m)
		r := c.do("PUT", "/v2/a/manifests/"+string(d)+"?tag=t1&tag=t2", m, "Content-Type", v1.MediaTypeImageManifest)
		c.expect(r, http.StatusCreated, "")
		if r.header("Docker-Content-Digest") != string(d) || r.header("OCI-Tag") != "t1, t2" {
			t.Fatalf("headers %v", r.Header())
		}
		for _, tag := range []string{"t1", "t2"} {
			r := c.do("GET", "/v2/a/manifests/"+tag, nil)
			c.expect(r, http.StatusOK, "")
			if r.header("Docker-Content-Digest") != string(d) {
				t.Fatalf("tag %s -> %q", tag, r.header("Docker-Content-Digest"))
			}
		}
	})
}

// A manifest body that does not match its Content-Length is refused
// whichever way it is off (in process; net/http's server cuts the body at
// its Content-Length itself).
func TestManifestPutBodyNotContentLength(t *testing.T) {
	for name, delta := range map[string]int64{"shorter": -1, "longer": +1} {
		t.Run(name, func(t *testing.T) {
			reg := New()
			body := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`)
			req := httptest.NewRequest(http.MethodPut, "/v2/a/manifests/t", bytes.NewReader(body))
			req.ContentLength = int64(len(body)) - delta
			req.Header.Set("Content-Type", "application/vnd.oci.image.index.v1+json")
			w := httptest.NewRecorder()
			reg.ServeHTTP(w, req)
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "SIZE_INVALID") {
				t.Fatalf("%d %s, want 400 SIZE_INVALID", w.Code, w.Body.String())
			}
		})
	}
}
