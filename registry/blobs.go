package registry

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/hookbench/hookbench/registry/storage"
)

// blob serves /v2/<name>/blobs/<digest>.
func (q *request) blob(ref string) {
	d, err := ParseDigest(ref)
	if err != nil {
		writeError(q.w, errDigestInvalid, "invalid digest", map[string]string{"digest": ref})
		return
	}
	switch q.r.Method {
	case http.MethodHead:
		size, err := q.reg.store.BlobStat(q.ctx, q.name, d)
		if err != nil {
			q.blobError(err)
			return
		}
		h := q.w.Header()
		h.Set("Content-Length", strconv.FormatInt(size, 10))
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Docker-Content-Digest", string(d))
		h.Set("Accept-Ranges", "bytes")
		h.Set("Etag", `"`+string(d)+`"`)
		q.w.WriteHeader(http.StatusOK)
		q.notify(blobAction(Pull, d, size))
	case http.MethodGet:
		f, size, err := q.reg.store.BlobOpen(q.ctx, q.name, d)
		if err != nil {
			q.blobError(err)
			return
		}
		defer f.Close()
		h := q.w.Header()
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Docker-Content-Digest", string(d))
		h.Set("Etag", `"`+string(d)+`"`)
		h.Set("Cache-Control", "max-age=31536000")
		// ServeContent answers Range requests (206, 416) and If-* headers.
		http.ServeContent(q.w, q.r, "", time.Time{}, f)
		q.notify(blobAction(Pull, d, size))
	case http.MethodDelete:
		if q.deleteDisabled() {
			return
		}
		if err := q.reg.store.BlobDelete(q.ctx, q.name, d); err != nil {
			q.blobError(err)
			return
		}
		if q.notifyStored(blobAction(Delete, d, 0)) {
			q.w.Header().Set("Content-Length", "0")
			q.w.WriteHeader(http.StatusAccepted)
		}
	default:
		q.methodNotAllowed()
	}
}

func (q *request) blobError(err error) {
	if errors.Is(err, storage.ErrBlobUnknown) {
		writeError(q.w, errBlobUnknown, "blob unknown to registry", nil)
		return
	}
	q.internalError(err)
}
