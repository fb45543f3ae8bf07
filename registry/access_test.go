package registry

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// grants is an AccessController that allows what it holds (by
// "type:name:action") for the user in the Authorization header, and
// records what each request asked.
type grants struct {
	mu    sync.Mutex
	allow map[string]bool
	asked [][]Access
}

func (g *grants) Authorized(r *http.Request, access ...Access) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, access)
	user := r.Header.Get("Authorization")
	if user == "" {
		return "", &Challenge{Header: `Bearer realm="r",service="s"`, Err: fmt.Errorf("no token")}
	}
	for _, a := range access {
		if !g.allow[a.Type+":"+a.Name+":"+a.Action] {
			return "", &Challenge{Header: `Bearer realm="r",service="s",error="insufficient_scope"`, Err: ErrInsufficientScope}
		}
	}
	return user, nil
}

func (g *grants) last() []Access {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.asked[len(g.asked)-1]
}

func TestAccessPerRoute(t *testing.T) {
	g := &grants{allow: map[string]bool{}}
	for _, s := range []string{"repository:a/b:pull", "repository:a/b:push", "repository:a/b:delete", "repository:src:pull", "repository:src:push", "registry:catalog:*"} {
		g.allow[s] = true
	}
	rec := &recorder{}
	c := &client{t: t, h: New(WithAccessController(g), WithListener(rec), WithDelete(true)), events: rec}
	auth := []string{"Authorization", "alice"}
	repo := func(name string, actions ...string) []Access {
		var out []Access
		for _, a := range actions {
			out = append(out, Access{"repository", name, a})
		}
		return out
	}
	d := digest.FromString("x")
	cases := []struct {
		method, path string
		want         []Access
	}{
		{"GET", "/v2/", nil},
		{"GET", "/v2/_catalog", []Access{{"registry", "catalog", "*"}}},
		{"GET", "/v2/a/b/tags/list", repo("a/b", "pull")},
		{"HEAD", "/v2/a/b/manifests/latest", repo("a/b", "pull")},
		{"GET", "/v2/a/b/blobs/" + string(d), repo("a/b", "pull")},
		{"GET", "/v2/a/b/referrers/" + string(d), repo("a/b", "pull")},
		{"POST", "/v2/a/b/blobs/uploads/", repo("a/b", "pull", "push")},
		{"PUT", "/v2/a/b/manifests/latest", repo("a/b", "pull", "push")},
		{"PATCH", "/v2/a/b/blobs/uploads/x", repo("a/b", "pull", "push")},
		{"DELETE", "/v2/a/b/manifests/" + string(d), repo("a/b", "delete")},
		{"POST", "/v2/a/b/blobs/uploads/?mount=" + string(d) + "&from=src", append(repo("a/b", "pull", "push"), repo("src", "pull")...)},
	}
	for _, tc := range cases {
		c.do(tc.method, tc.path, nil, auth...)
		if got := g.last(); !slices.Equal(got, tc.want) {
			t.Errorf("%s %s asked %v, want %v", tc.method, tc.path, got, tc.want)
		}
	}

	// Without a token: 401 UNAUTHORIZED, the controller's challenge, the
	// API version header and the access asked in the detail.
	r := c.do("PUT", "/v2/a/b/manifests/latest", nil)
	c.expect(r, http.StatusUnauthorized, "UNAUTHORIZED")
	if r.header("WWW-Authenticate") != `Bearer realm="r",service="s"` || r.header("Docker-Distribution-API-Version") != "registry/2.0" {
		t.Errorf("headers %v", r.Header())
	}
	var body struct {
		Errors []struct {
			Code   string
			Detail []Access
		}
	}
	if err := json.Unmarshal(r.Body.Bytes(), &body); err != nil || !slices.Equal(body.Errors[0].Detail, repo("a/b", "pull", "push")) {
		t.Errorf("body %s (%v)", r.Body, err)
	}
	// Insufficient scope: 401 as Distribution, error in the challenge.
	r = c.do("GET", "/v2/other/tags/list", nil, auth...)
	c.expect(r, http.StatusUnauthorized, "UNAUTHORIZED")
	if !strings.Contains(r.header("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Errorf("challenge %q", r.header("WWW-Authenticate"))
	}
	c.expectEvents()

	// Granted: the user goes into events.
	c.do("GET", "/v2/", nil, auth...)
	c.pushBlobAs("a/b", []byte("hello"), auth)
	a := rec.take()
	if len(a) != 1 || a[0].User != "alice" || a[0].Verb != Push {
		t.Fatalf("events %+v", a)
	}
	// A mount without from needs pull on the source, which cannot be
	// named: it starts a session instead of mounting.
	r = c.do("POST", "/v2/src/blobs/uploads/?mount="+string(digest.FromString("hello")), nil, auth...)
	c.expect(r, http.StatusAccepted, "")
	// With from and pull on it, it mounts.
	r = c.do("POST", "/v2/src/blobs/uploads/?mount="+string(digest.FromString("hello"))+"&from=a/b", nil, auth...)
	c.expect(r, http.StatusCreated, "")
	if a := rec.take(); len(a) != 1 || a[0].Verb != Mount || a[0].FromRepository != "a/b" || a[0].User != "alice" {
		t.Fatalf("mount events %+v", a)
	}
}

func (c *client) pushBlobAs(repo string, content []byte, hdr []string) digest.Digest {
	c.t.Helper()
	d := digest.FromBytes(content)
	r := c.do("POST", "/v2/"+repo+"/blobs/uploads/", nil, hdr...)
	c.expect(r, http.StatusAccepted, "")
	r = c.do("PUT", r.header("Location")+"?digest="+string(d), content, hdr...)
	c.expect(r, http.StatusCreated, "")
	return d
}

func TestPathPrefix(t *testing.T) {
	for _, prefix := range []string{"/registry", "/registry/", "registry"} {
		t.Run(prefix, func(t *testing.T) {
			c := &client{t: t, h: New(WithPathPrefix(prefix)), events: &recorder{}}
			c.expect(c.do("GET", "/v2/", nil), http.StatusNotFound, "NOT_FOUND")
			c.expect(c.do("GET", "/registry/v2/", nil), http.StatusOK, "")
			r := c.do("POST", "/registry/v2/a/blobs/uploads/", nil)
			c.expect(r, http.StatusAccepted, "")
			loc := r.header("Location")
			if !strings.HasPrefix(loc, "/registry/v2/a/blobs/uploads/") {
				t.Fatalf("Location %q", loc)
			}
			d := digest.FromString("x")
			r = c.do("PUT", loc+"?digest="+string(d), []byte("x"))
			c.expect(r, http.StatusCreated, "")
			if r.header("Location") != "/registry/v2/a/blobs/"+string(d) {
				t.Fatalf("blob Location %q", r.header("Location"))
			}
			c.expect(c.do("GET", "/registry/v2/a/blobs/"+string(d), nil), http.StatusOK, "")
			c.expect(c.do("POST", "/registry/v2/b/blobs/uploads/?digest="+string(d), []byte("x")), http.StatusCreated, "")
			r = c.do("GET", "/registry/v2/_catalog?n=1", nil)
			c.expect(r, http.StatusOK, "")
			if l := r.header("Link"); !strings.HasPrefix(l, "</registry/v2/_catalog?") {
				t.Fatalf("Link %q", l)
			}
		})
	}
}
