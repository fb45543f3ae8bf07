package registry

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/ as well; these f.Add
// calls keep the most telling seeds next to the code.

func FuzzName(f *testing.F) {
	for _, s := range []string{"a", "a/b", "a.b_c__d--e/f", "..", "a/../b", "A", "a//b", "_a", strings.Repeat("a", 256)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidName(s) {
			return
		}
		// A valid name never escapes a directory: no empty, "." or ".."
		// component, no backslash, no leading underscore.
		for _, part := range strings.Split(s, "/") {
			if part == "" || part == "." || part == ".." || strings.HasPrefix(part, "_") || strings.ContainsAny(part, `\:`) {
				t.Fatalf("valid name %q has component %q", s, part)
			}
		}
		if len(s) > maxNameLength {
			t.Fatalf("valid name too long: %d", len(s))
		}
		// And the router hands it through untouched.
		reg := New()
		req := &http.Request{Method: "GET", URL: mustURL("/v2/" + s + "/tags/list"), Header: http.Header{}}
		w := httptest.NewRecorder()
		reg.ServeHTTP(w, req)
		if w.Code != http.StatusNotFound {
			t.Fatalf("tags of unknown valid repo %q: %d %s", s, w.Code, w.Body.String())
		}
	})
}

func FuzzReference(f *testing.F) {
	for _, s := range []string{"latest", "v1.0", "_x", ".x", "-x", "sha256:" + strings.Repeat("a", 64), "sha256:abc", "a:b", strings.Repeat("t", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseReference(s)
		if err != nil {
			return
		}
		if (ref.Tag == "") == (ref.Digest == "") {
			t.Fatalf("%q: exactly one of tag and digest must be set: %+v", s, ref)
		}
		if ref.String() != s {
			t.Fatalf("round trip %q -> %q", s, ref.String())
		}
		if ref.Tag != "" && (strings.ContainsAny(ref.Tag, `/\:`) || strings.HasPrefix(ref.Tag, ".") || len(ref.Tag) > 128) {
			t.Fatalf("unsafe tag %q", ref.Tag)
		}
	})
}

func FuzzDigest(f *testing.F) {
	for _, s := range []string{"sha256:" + strings.Repeat("a", 64), "sha512:" + strings.Repeat("0", 128), "sha256:" + strings.Repeat("A", 64), "sha256:../../x", "md5:00", ":", "sha256:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		if err != nil {
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("accepted invalid digest %q: %v", s, err)
		}
		switch d.Algorithm() {
		case digest.SHA256, digest.SHA384, digest.SHA512:
		default:
			t.Fatalf("unexpected algorithm in %q", s)
		}
		if strings.ContainsAny(d.Encoded(), `/\.`) || len(d.Encoded()) < 64 {
			t.Fatalf("unsafe encoded part in %q", s)
		}
	})
}

func FuzzManifest(f *testing.F) {
	f.Add("application/vnd.oci.image.manifest.v1+json", `{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:`+strings.Repeat("a", 64)+`","size":1},"layers":[]}`)
	f.Add("application/vnd.oci.image.index.v1+json", `{"schemaVersion":2,"manifests":[{"mediaType":"a","digest":"sha256:`+strings.Repeat("b", 64)+`","size":2}]}`)
	f.Add("", `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}`)
	f.Add("application/vnd.docker.distribution.manifest.v2+json", `{"schemaVersion":2,"config":null}`)
	f.Add("text/plain", `[]`)
	f.Add("application/vnd.oci.image.manifest.v1+json", `{"schemaVersion":2,"config":{"digest":"sha256:x"},"subject":{"digest":"bad"}}`)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		p, err := parseManifest(contentType, []byte(body))
		if err != nil {
			return
		}
		if !supportedManifestType(p.MediaType) {
			t.Fatalf("accepted media type %q", p.MediaType)
		}
		for _, d := range append(append([]v1Descriptor(nil), p.Blobs...), p.Children...) {
			if _, err := ParseDigest(string(d.Digest)); err != nil {
				t.Fatalf("accepted descriptor with digest %q", d.Digest)
			}
		}
		if isIndex(p.MediaType) && len(p.Blobs) > 0 || !isIndex(p.MediaType) && len(p.Children) > 0 {
			t.Fatalf("%s with blobs %d children %d", p.MediaType, len(p.Blobs), len(p.Children))
		}
	})
}
