package registry

import (
	"encoding/json"
	"net/http"
	"strconv"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// referrers serves GET /v2/<name>/referrers/<digest>: an OCI index of the
// manifests whose subject is digest, optionally filtered by artifactType.
func (q *request) referrers(ref string) {
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		q.methodNotAllowed()
		return
	}
	d, err := ParseDigest(ref)
	if err != nil {
		writeError(q.w, errDigestInvalid, "invalid digest", map[string]string{"digest": ref})
		return
	}
	descs, err := q.reg.store.Referrers(q.ctx, q.name, d)
	if err != nil {
		q.internalError(err)
		return
	}
	filter := q.r.URL.Query().Get("artifactType")
	out := make([]v1.Descriptor, 0, len(descs))
	for _, desc := range descs {
		if filter == "" || desc.ArtifactType == filter {
			out = append(out, desc)
		}
	}
	body, err := json.Marshal(struct {
		SchemaVersion int             `json:"schemaVersion"`
		MediaType     string          `json:"mediaType"`
		Manifests     []v1.Descriptor `json:"manifests"`
	}{2, v1.MediaTypeImageIndex, out})
	if err != nil {
		q.internalError(err)
		return
	}
	h := q.w.Header()
	h.Set("Content-Type", v1.MediaTypeImageIndex)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if filter != "" {
		h.Set("OCI-Filters-Applied", "artifactType")
	}
	q.w.WriteHeader(http.StatusOK)
	if q.r.Method == http.MethodGet {
		q.w.Write(body)
	}
}
