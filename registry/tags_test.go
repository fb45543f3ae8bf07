package registry

import (
	"net/http"
	"strings"
	"testing"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestTagsList(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		_, m := c.pushImage("a/b", "c", "x")
		for _, tag := range []string{"a", "b", "d", "e"} {
			c.expect(c.do("PUT", "/v2/a/b/manifests/"+tag, m, "Content-Type", v1.MediaTypeImageManifest), http.StatusCreated, "")
		}
		cases := []struct{ query, body, link string }{
			{"", `{"name":"a/b","tags":["a","b","c","d","e"]}`, ""},
			{"?n=2", `{"name":"a/b","tags":["a","b"]}`, `</v2/a/b/tags/list?last=b&n=2>; rel="next"`},
			{"?n=2&last=b", `{"name":"a/b","tags":["c","d"]}`, `</v2/a/b/tags/list?last=d&n=2>; rel="next"`},
			{"?n=2&last=d", `{"name":"a/b","tags":["e"]}`, ""},
			{"?last=bb", `{"name":"a/b","tags":["c","d","e"]}`, ""},
			{"?n=0", `{"name":"a/b","tags":[]}`, ""},
			{"?n=5", `{"name":"a/b","tags":["a","b","c","d","e"]}`, ""},
			{"?last=e", `{"name":"a/b","tags":[]}`, ""},
		}
		for _, tc := range cases {
			r := c.do("GET", "/v2/a/b/tags/list"+tc.query, nil)
			c.expect(r, http.StatusOK, "")
			if strings.TrimSpace(r.Body.String()) != tc.body || r.header("Link") != tc.link {
				t.Errorf("%s: %s Link %q", tc.query, r.Body.String(), r.header("Link"))
			}
		}
		c.expect(c.do("GET", "/v2/a/b/tags/list?n=-1", nil), http.StatusBadRequest, "PAGINATION_NUMBER_INVALID")
		c.expect(c.do("GET", "/v2/a/b/tags/list?n=x", nil), http.StatusBadRequest, "PAGINATION_NUMBER_INVALID")
		c.expect(c.do("GET", "/v2/nothere/tags/list", nil), http.StatusNotFound, "NAME_UNKNOWN")
		c.expect(c.do("GET", "/v2/Bad/tags/list", nil), http.StatusBadRequest, "NAME_INVALID")
		// A repository holding only blobs exists, with no tags.
		c.pushBlob("blobsonly", []byte("b"))
		r := c.do("GET", "/v2/blobsonly/tags/list", nil)
		c.expect(r, http.StatusOK, "")
		if strings.TrimSpace(r.Body.String()) != `{"name":"blobsonly","tags":[]}` {
			t.Fatalf("blob-only repo %s", r.Body.String())
		}
	})
}

func TestCatalog(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		for _, repo := range []string{"b", "a", "a/nested/deep", "c"} {
			c.pushImage(repo, "t", repo)
		}
		c.do("POST", "/v2/uploadonly/blobs/uploads/", nil) // a session alone is no repository
		r := c.do("GET", "/v2/_catalog", nil)
		c.expect(r, http.StatusOK, "")
		if strings.TrimSpace(r.Body.String()) != `{"repositories":["a","a/nested/deep","b","c"]}` {
			t.Fatalf("catalog %s", r.Body.String())
		}
		r = c.do("GET", "/v2/_catalog?n=2", nil)
		if strings.TrimSpace(r.Body.String()) != `{"repositories":["a","a/nested/deep"]}` || r.header("Link") != `</v2/_catalog?last=a%2Fnested%2Fdeep&n=2>; rel="next"` {
			t.Fatalf("page 1 %s %q", r.Body.String(), r.header("Link"))
		}
		r = c.do("GET", "/v2/_catalog?n=2&last=a%2Fnested%2Fdeep", nil)
		if strings.TrimSpace(r.Body.String()) != `{"repositories":["b","c"]}` || r.header("Link") != "" {
			t.Fatalf("page 2 %s %q", r.Body.String(), r.header("Link"))
		}
		c.expect(c.do("GET", "/v2/_catalog?n=-3", nil), http.StatusBadRequest, "PAGINATION_NUMBER_INVALID")
	})
}

func TestRouting(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		r := c.do("GET", "/v2/", nil)
		c.expect(r, http.StatusOK, "")
		if r.header("Docker-Distribution-API-Version") != "registry/2.0" || r.header("X-Request-Id") == "" {
			t.Fatalf("base headers %v", r.Header())
		}
		c.expect(c.do("GET", "/v2", nil), http.StatusOK, "")
		c.expect(c.do("POST", "/v2/", nil), http.StatusMethodNotAllowed, "UNSUPPORTED")
		c.expect(c.do("GET", "/v1/", nil), http.StatusNotFound, "NOT_FOUND")
		c.expect(c.do("GET", "/v2/a/unknown/x", nil), http.StatusNotFound, "NOT_FOUND")
		c.expect(c.do("GET", "/v2/a", nil), http.StatusNotFound, "NOT_FOUND")
		// Names that are repositories' internal words still route right.
		c.pushImage("blobs/manifests/tags", "t", "odd")
		c.expect(c.do("GET", "/v2/blobs/manifests/tags/manifests/t", nil), http.StatusOK, "")
		for _, bad := range []string{"/v2/a//b/tags/list", "/v2/-a/tags/list", "/v2/a_/tags/list", "/v2/a/../b/tags/list", "/v2/" + strings.Repeat("a", 256) + "/tags/list", "/v2/%2e%2e/tags/list"} {
			c.expect(c.do("GET", bad, nil), http.StatusBadRequest, "NAME_INVALID")
		}
	})
}
