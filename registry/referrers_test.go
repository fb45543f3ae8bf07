package registry

import (
	"encoding/json"
	"net/http"
	"testing"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestReferrers(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		subject, sm := c.pushImage("a", "img", "subject")
		empty := c.pushBlob("a", []byte("{}"))
		artifact := func(artifactType, seed string) (digest.Digest, []byte) {
			layer := c.pushBlob("a", []byte(seed))
			m, _ := json.Marshal(map[string]any{
				"schemaVersion": 2, "mediaType": v1.MediaTypeImageManifest, "artifactType": artifactType,
				"config":      v1.Descriptor{MediaType: "application/vnd.oci.empty.v1+json", Digest: empty, Size: 2},
				"layers":      []v1.Descriptor{{MediaType: "application/octet-stream", Digest: layer, Size: int64(len(seed))}},
				"subject":     v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: subject, Size: int64(len(sm))},
				"annotations": map[string]string{"seed": seed},
			})
			r := c.do("PUT", "/v2/a/manifests/"+string(digest.FromBytes(m)), m, "Content-Type", v1.MediaTypeImageManifest)
			c.expect(r, http.StatusCreated, "")
			if r.header("OCI-Subject") != string(subject) {
				t.Fatalf("OCI-Subject %q", r.header("OCI-Subject"))
			}
			return digest.FromBytes(m), m
		}
		sig, _ := artifact("application/vnd.example.sig", "s1")
		sbom, _ := artifact("application/vnd.example.sbom", "s2")

		list := func(query string) (v1.Index, response) {
			r := c.do("GET", "/v2/a/referrers/"+string(subject)+query, nil)
			c.expect(r, http.StatusOK, "")
			if r.header("Content-Type") != v1.MediaTypeImageIndex {
				t.Fatalf("content type %q", r.header("Content-Type"))
			}
			var idx v1.Index
			if err := json.Unmarshal(r.Body.Bytes(), &idx); err != nil {
				t.Fatal(err)
			}
			return idx, r
		}
		idx, r := list("")
		if len(idx.Manifests) != 2 || idx.SchemaVersion != 2 || idx.MediaType != v1.MediaTypeImageIndex || r.header("OCI-Filters-Applied") != "" {
			t.Fatalf("referrers %+v", idx)
		}
		for _, m := range idx.Manifests {
			if m.Annotations["seed"] == "" || m.ArtifactType == "" || m.Size == 0 || m.MediaType != v1.MediaTypeImageManifest {
				t.Fatalf("descriptor %+v", m)
			}
		}
		idx, r = list("?artifactType=application/vnd.example.sbom")
		if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != sbom || r.header("OCI-Filters-Applied") != "artifactType" {
			t.Fatalf("filtered %+v %v", idx, r.Header())
		}
		// Deleting a referrer removes it from the list.
		c.expect(c.do("DELETE", "/v2/a/manifests/"+string(sig), nil), http.StatusAccepted, "")
		if idx, _ = list(""); len(idx.Manifests) != 1 {
			t.Fatalf("after delete %+v", idx)
		}
		// Unknown subject: empty list, not 404.
		r = c.do("GET", "/v2/a/referrers/"+string(digest.FromString("none")), nil)
		c.expect(r, http.StatusOK, "")
		if string(r.Body.Bytes()) != `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}` {
			t.Fatalf("empty list %s", r.Body.String())
		}
		c.expect(c.do("GET", "/v2/a/referrers/sha256:short", nil), http.StatusBadRequest, "DIGEST_INVALID")
		c.expect(c.do("GET", "/v2/unknown/referrers/"+string(subject), nil), http.StatusOK, "")
	})
}

func TestReferrerArtifactTypeFromConfig(t *testing.T) {
	eachDriver(t, func(t *testing.T, c *client) {
		subject, _ := c.pushImage("a", "img", "s")
		cfg := c.pushBlob("a", []byte(`{"x":1}`))
		m, _ := json.Marshal(map[string]any{
			"schemaVersion": 2, "mediaType": v1.MediaTypeImageManifest,
			"config":  v1.Descriptor{MediaType: "application/vnd.example.config", Digest: cfg, Size: 7},
			"layers":  []v1.Descriptor{},
			"subject": v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: subject, Size: 1},
		})
		c.expect(c.do("PUT", "/v2/a/manifests/ref", m, "Content-Type", v1.MediaTypeImageManifest), http.StatusCreated, "")
		r := c.do("GET", "/v2/a/referrers/"+string(subject)+"?artifactType=application/vnd.example.config", nil)
		var idx v1.Index
		json.Unmarshal(r.Body.Bytes(), &idx)
		if len(idx.Manifests) != 1 || idx.Manifests[0].ArtifactType != "application/vnd.example.config" {
			t.Fatalf("referrers %s", r.Body.String())
		}
	})
}
