package registry

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/registry/storage/filesystem"
)

func TestSingleRequestUpload(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		content := []byte("single request")
		d := digest.FromBytes(content)
		r := c.do("POST", "/v2/a/blobs/uploads/?digest="+string(d), content)
		c.expect(r, http.StatusCreated, "")
		if r.header("Location") != "/v2/a/blobs/"+string(d) || r.header("Docker-Content-Digest") != string(d) {
			t.Fatalf("headers %v", r.Header())
		}
		c.expect(c.do("GET", "/v2/a/blobs/"+string(d), nil), http.StatusOK, "")

		// sha512 works the same way.
		d512 := digest.SHA512.FromBytes(content)
		c.expect(c.do("POST", "/v2/a/blobs/uploads/?digest="+string(d512), content), http.StatusCreated, "")
		r = c.do("GET", "/v2/a/blobs/"+string(d512), nil)
		c.expect(r, http.StatusOK, "")
		if r.Body.String() != string(content) {
			t.Fatalf("sha512 body %q", r.Body.String())
		}

		// Mismatch, bad digest, empty blob.
		c.expect(c.do("POST", "/v2/a/blobs/uploads/?digest="+string(digest.FromString("other")), content), http.StatusBadRequest, "DIGEST_INVALID")
		c.expect(c.do("POST", "/v2/a/blobs/uploads/?digest=sha256:nothex", content), http.StatusBadRequest, "DIGEST_INVALID")
		empty := digest.FromBytes(nil)
		c.expect(c.do("POST", "/v2/a/blobs/uploads/?digest="+string(empty), []byte{}), http.StatusCreated, "")
		r = c.do("HEAD", "/v2/a/blobs/"+string(empty), nil)
		c.expect(r, http.StatusOK, "")
		if r.header("Content-Length") != "0" {
			t.Fatalf("empty blob length %q", r.header("Content-Length"))
		}
	})
}

func TestChunkedUpload(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		content := []byte("0123456789abcdefghij")
		d := digest.FromBytes(content)
		r := c.do("POST", "/v2/a/blobs/uploads/", nil)
		c.expect(r, http.StatusAccepted, "")
		loc, id := r.header("Location"), r.header("Docker-Upload-UUID")
		if loc != "/v2/a/blobs/uploads/"+id || r.header("Range") != "0-0" {
			t.Fatalf("POST headers %v", r.Header())
		}
		r = c.do("PATCH", loc, content[:8], "Content-Range", "0-7")
		c.expect(r, http.StatusAccepted, "")
		if r.header("Range") != "0-7" {
			t.Fatalf("range after chunk 1: %q", r.header("Range"))
		}
		// Out of order: 416 with the real range, and nothing written.
		r = c.do("PATCH", loc, content[12:], "Content-Range", "12-19")
		c.expect(r, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID")
		if r.header("Range") != "0-7" {
			t.Fatalf("range after 416: %q", r.header("Range"))
		}
		// Content-Range that disagrees with the body length.
		c.expect(c.do("PATCH", loc, content[8:10], "Content-Range", "8-15"), http.StatusRequestedRangeNotSatisfiable, "")
		c.expect(c.do("PATCH", loc, content[8:10], "Content-Range", "banana"), http.StatusRequestedRangeNotSatisfiable, "")
		r = c.do("GET", loc, nil)
		c.expect(r, http.StatusNoContent, "")
		if r.header("Range") != "0-7" || r.header("Docker-Upload-UUID") != id {
			t.Fatalf("status headers %v", r.Header())
		}
		// Streamed chunk (no Content-Range) appends.
		c.expect(c.do("PATCH", loc, content[8:12]), http.StatusAccepted, "")
		// Last chunk with the PUT.
		c.expect(c.do("PUT", loc+"?digest="+string(digest.FromString("wrong")), nil), http.StatusBadRequest, "DIGEST_INVALID")
		r = c.do("PUT", loc+"?digest="+string(d), content[12:], "Content-Range", "12-19")
		c.expect(r, http.StatusCreated, "")
		r = c.do("GET", "/v2/a/blobs/"+string(d), nil)
		if !bytes.Equal(r.Body.Bytes(), content) {
			t.Fatalf("assembled %q", r.Body.String())
		}
		// The session is gone.
		c.expect(c.do("GET", loc, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
	})
}

func TestUploadBadInput(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		r := c.do("POST", "/v2/a/blobs/uploads/", nil)
		loc := r.header("Location")
		c.expect(c.do("PUT", loc, []byte("x")), http.StatusBadRequest, "DIGEST_INVALID")
		c.expect(c.do("PUT", loc+"?digest=sha999:00", []byte("x")), http.StatusBadRequest, "DIGEST_INVALID")
		c.expect(c.do("DELETE", loc, nil), http.StatusNoContent, "")
		c.expect(c.do("DELETE", loc, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
		c.expect(c.do("PATCH", loc, []byte("x")), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
		for _, id := range []string{"..", "not-a-uuid", "00000000-0000-0000-0000-00000000000G", strings.Repeat("a", 36)} {
			c.expect(c.do("GET", "/v2/a/blobs/uploads/"+id, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
		}
		c.expect(c.do("GET", "/v2/a/blobs/uploads/00000000-0000-0000-0000-000000000000", nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
		// Upload into another repository's session.
		r = c.do("POST", "/v2/a/blobs/uploads/", nil)
		id := r.header("Docker-Upload-UUID")
		c.expect(c.do("GET", "/v2/b/blobs/uploads/"+id, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
		c.expect(c.do("GET", "/v2/a/blobs/uploads/", nil), http.StatusMethodNotAllowed, "UNSUPPORTED")
		// A whole-blob PUT whose Content-Range disagrees with its body.
		r = c.do("POST", "/v2/a/blobs/uploads/", nil)
		c.expect(c.do("PUT", r.header("Location")+"?digest="+string(digest.FromString("0123456789")), []byte("0123456789"), "Content-Range", "0-3"), http.StatusRequestedRangeNotSatisfiable, "")
		c.expect(c.do("PUT", r.header("Location")+"?digest="+string(digest.FromString("0123456789")), []byte("0123456789"), "Content-Range", "0-9"), http.StatusCreated, "")
		// A body shorter than its Content-Length.
		req := httptest.NewRequest("PUT", "/v2/a/blobs/uploads/"+id+"?digest="+string(digest.FromString("x")), strings.NewReader("x"))
		req.ContentLength = 10
		w := httptest.NewRecorder()
		c.h.ServeHTTP(w, req)
		c.expect(response{w}, http.StatusBadRequest, "SIZE_INVALID")
	})
}

func TestMount(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		d := c.pushBlob("src", []byte("shared layer"))
		c.events.take()
		r := c.do("POST", "/v2/dst/blobs/uploads/?mount="+string(d)+"&from=src", nil)
		c.expect(r, http.StatusCreated, "")
		if r.header("Location") != "/v2/dst/blobs/"+string(d) {
			t.Fatalf("mount location %q", r.header("Location"))
		}
		c.expect(c.do("GET", "/v2/dst/blobs/"+string(d), nil), http.StatusOK, "")
		// Deleting in one repository leaves the other's link.
		c.expect(c.do("DELETE", "/v2/src/blobs/"+string(d), nil), http.StatusAccepted, "")
		c.expect(c.do("GET", "/v2/dst/blobs/"+string(d), nil), http.StatusOK, "")
		// Not in the source: fall back to an upload session.
		r = c.do("POST", "/v2/third/blobs/uploads/?mount="+string(d)+"&from=src", nil)
		c.expect(r, http.StatusAccepted, "")
		if r.header("Docker-Upload-UUID") == "" {
			t.Fatal("fallback without a session")
		}
		c.expect(c.do("POST", "/v2/third/blobs/uploads/?mount="+string(d)+"&from=BAD", nil), http.StatusAccepted, "")
		c.expect(c.do("POST", "/v2/third/blobs/uploads/?mount=sha256:zz&from=src", nil), http.StatusBadRequest, "DIGEST_INVALID")
		// Anonymous mount finds the blob anywhere.
		c.expect(c.do("POST", "/v2/fourth/blobs/uploads/?mount="+string(d), nil), http.StatusCreated, "")
		c.expect(c.do("POST", "/v2/fourth/blobs/uploads/?mount="+string(digest.FromString("nope")), nil), http.StatusAccepted, "")
	})
}

// TestUploadSurvivesRestart: a filesystem upload session outlives its driver.
func TestUploadSurvivesRestart(t *testing.T) {
	root := t.TempDir()
	d1, err := filesystem.New(root)
	if err != nil {
		t.Fatal(err)
	}
	c1 := &client{t: t, h: New(WithStorage(d1)), events: &recorder{}}
	r := c1.do("POST", "/v2/a/blobs/uploads/", nil)
	loc := r.header("Location")
	c1.expect(c1.do("PATCH", loc, []byte("first "), "Content-Range", "0-5"), http.StatusAccepted, "")
	d1.Close()

	d2, err := filesystem.New(root)
	if err != nil {
		t.Fatal(err)
	}
	c2 := &client{t: t, h: New(WithStorage(d2)), events: &recorder{}}
	r = c2.do("GET", loc, nil)
	c2.expect(r, http.StatusNoContent, "")
	if r.header("Range") != "0-5" {
		t.Fatalf("range after restart %q", r.header("Range"))
	}
	content := []byte("first second")
	c2.expect(c2.do("PUT", loc+"?digest="+string(digest.FromBytes(content)), content[6:]), http.StatusCreated, "")
}

// TestShortBodyOverHTTP: a client that closes before sending its
// Content-Length gets a 400 (or nothing), never a stored blob or a 500.
func TestShortBodyOverHTTP(t *testing.T) {
	reg := New()
	srv := httptest.NewServer(reg)
	defer srv.Close()
	d := digest.FromString("0123456789")
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /v2/a/blobs/uploads/?digest=%s HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789", d)
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", resp.StatusCode)
		}
	}
	c := &client{t: t, h: reg, events: &recorder{}}
	c.expect(c.do("HEAD", "/v2/a/blobs/"+string(d), nil), http.StatusNotFound, "")
}

// TestPushStoredBlobAgain: pushing a blob that is stored already (into
// another repository, as a whole-blob PUT or a single POST) still checks
// the body: a wrong one answers DIGEST_INVALID and the blob stays unknown
// to that repository, with no event; a right one stores it there.
func TestPushStoredBlobAgain(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		content := []byte("a layer pushed twice")
		d := c.pushBlob("a", content)
		c.events.take()
		wrong := []byte("a layer pushed twicE")
		r := c.do("POST", "/v2/b/blobs/uploads/", nil)
		c.expect(r, http.StatusAccepted, "")
		c.expect(c.do("PUT", r.header("Location")+"?digest="+string(d), wrong), http.StatusBadRequest, "DIGEST_INVALID")
		c.expect(c.do("POST", "/v2/b/blobs/uploads/?digest="+string(d), wrong), http.StatusBadRequest, "DIGEST_INVALID")
		c.expect(c.do("HEAD", "/v2/b/blobs/"+string(d), nil), http.StatusNotFound, "")
		if got := c.events.take(); len(got) != 0 {
			t.Fatalf("events after failed pushes: %+v", got)
		}
		c.pushBlob("b", content)
		r = c.do("GET", "/v2/b/blobs/"+string(d), nil)
		c.expect(r, http.StatusOK, "")
		if r.Body.String() != string(content) {
			t.Fatalf("body %q", r.Body.String())
		}
	})
}
