package registry

import (
	"bytes"
	"net/http"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

func TestBlobPushPull(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		content := []byte("hello blob")
		d := c.pushBlob("a/b", content)

		r := c.do("HEAD", "/v2/a/b/blobs/"+string(d), nil)
		c.expect(r, http.StatusOK, "")
		if r.header("Content-Length") != "10" || r.header("Docker-Content-Digest") != string(d) {
			t.Fatalf("HEAD headers %v", r.Header())
		}
		r = c.do("GET", "/v2/a/b/blobs/"+string(d), nil)
		c.expect(r, http.StatusOK, "")
		if !bytes.Equal(r.Body.Bytes(), content) {
			t.Fatalf("GET body %q", r.Body.String())
		}
		r = c.do("GET", "/v2/a/b/blobs/"+string(d), nil, "Range", "bytes=2-4")
		c.expect(r, http.StatusPartialContent, "")
		if r.Body.String() != "llo" {
			t.Fatalf("range body %q", r.Body.String())
		}
		// Not linked into another repository.
		c.expect(c.do("GET", "/v2/other/blobs/"+string(d), nil), http.StatusNotFound, "BLOB_UNKNOWN")

		c.expect(c.do("DELETE", "/v2/a/b/blobs/"+string(d), nil), http.StatusAccepted, "")
		c.expect(c.do("HEAD", "/v2/a/b/blobs/"+string(d), nil), http.StatusNotFound, "")
		c.expect(c.do("DELETE", "/v2/a/b/blobs/"+string(d), nil), http.StatusNotFound, "BLOB_UNKNOWN")
	})
}

func TestBlobBadInput(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		unknown := digest.FromString("nothing")
		c.expect(c.do("GET", "/v2/a/blobs/"+string(unknown), nil), http.StatusNotFound, "BLOB_UNKNOWN")
		for _, bad := range []string{"sha256:abc", "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256:" + string(bytes.Repeat([]byte("Z"), 64)), "nodigest"} {
			c.expect(c.do("GET", "/v2/a/blobs/"+bad, nil), http.StatusBadRequest, "DIGEST_INVALID")
		}
		c.expect(c.do("GET", "/v2/A/blobs/"+string(unknown), nil), http.StatusBadRequest, "NAME_INVALID")
		c.expect(c.do("GET", "/v2/../x/blobs/"+string(unknown), nil), http.StatusBadRequest, "NAME_INVALID")
		c.expect(c.do("POST", "/v2/a/blobs/"+string(unknown), nil), http.StatusMethodNotAllowed, "UNSUPPORTED")
	})
}

func TestDeleteDisabled(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		d := c.pushBlob("a", []byte("x"))
		md, _ := c.pushImage("a", "v1", "dd")
		c.expect(c.do("DELETE", "/v2/a/blobs/"+string(d), nil), http.StatusMethodNotAllowed, "UNSUPPORTED")
		c.expect(c.do("DELETE", "/v2/a/manifests/"+string(md), nil), http.StatusMethodNotAllowed, "UNSUPPORTED")
		c.expect(c.do("DELETE", "/v2/a/manifests/v1", nil), http.StatusMethodNotAllowed, "UNSUPPORTED")
		c.expect(c.do("HEAD", "/v2/a/blobs/"+string(d), nil), http.StatusOK, "")
	}, WithDelete(false))
}
