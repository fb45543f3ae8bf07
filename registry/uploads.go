package registry

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/registry/storage"
)

// uploadStart serves POST /v2/<name>/blobs/uploads/: a cross-repository
// mount (?mount=&from=), a single-request upload (?digest= with a body), or
// a new upload session.
func (q *request) uploadStart() {
	if q.r.Method != http.MethodPost {
		q.methodNotAllowed()
		return
	}
	query := q.r.URL.Query()
	if m := query.Get("mount"); m != "" {
		if q.mount(m, query.Get("from")) {
			return
		}
		// Not mountable: fall back to a new session, as the spec allows.
	} else if ds := query.Get("digest"); ds != "" {
		q.singleUpload(ds)
		return
	}
	id, err := q.reg.store.UploadStart(q.ctx, q.name)
	if err != nil {
		q.internalError(err)
		return
	}
	q.uploadAccepted(http.StatusAccepted, id, 0)
}

// mount links a blob of another repository into this one, and reports
// whether it answered the request.
func (q *request) mount(ds, from string) bool {
	d, err := ParseDigest(ds)
	if err != nil {
		writeError(q.w, errDigestInvalid, "invalid mount digest", map[string]string{"digest": ds})
		return true
	}
	if from != "" && !ValidName(from) {
		return false
	}
	// Without from, any repository holding the blob will do (the spec's
	// "automatic content discovery"), unless access is controlled per
	// repository: then the user may not be allowed to read the source.
	if from == "" && q.reg.access != nil {
		return false
	}
	size, err := q.reg.store.BlobMount(q.ctx, from, q.name, d)
	if errors.Is(err, storage.ErrBlobUnknown) {
		return false
	}
	if err != nil {
		q.internalError(err)
		return true
	}
	a := blobAction(Mount, d, size)
	a.FromRepository = from
	if q.notifyStored(a) {
		q.blobCreated(d)
	}
	return true
}

// singleUpload stores the POST body as blob ds in one request (201); the
// spec allows it and Distribution does not do it.
func (q *request) singleUpload(ds string) {
	d, err := ParseDigest(ds)
	if err != nil {
		writeError(q.w, errDigestInvalid, "invalid digest", map[string]string{"digest": ds})
		return
	}
	body := &bodyReader{r: q.r.Body}
	size, err := q.reg.store.BlobPut(q.ctx, q.name, d, body)
	if q.bodyError(body) {
		return
	}
	if err != nil {
		q.uploadError(err)
		return
	}
	if q.notifyStored(blobAction(Push, d, size)) {
		q.blobCreated(d)
	}
}

// upload serves /v2/<name>/blobs/uploads/<id>.
func (q *request) upload(id string) {
	if !validUploadID(id) {
		writeError(q.w, errBlobUploadUnknown, "upload unknown", map[string]string{"uuid": id})
		return
	}
	switch q.r.Method {
	case http.MethodGet:
		size, err := q.reg.store.UploadSize(q.ctx, q.name, id)
		if err != nil {
			q.uploadError(err)
			return
		}
		q.uploadAccepted(http.StatusNoContent, id, size)
	case http.MethodPatch:
		size, ok := q.writeChunk(id)
		if ok {
			q.uploadAccepted(http.StatusAccepted, id, size)
		}
	case http.MethodPut:
		q.uploadFinish(id)
	case http.MethodDelete:
		if err := q.reg.store.UploadCancel(q.ctx, q.name, id); err != nil {
			q.uploadError(err)
			return
		}
		q.w.Header().Set("Content-Length", "0")
		q.w.WriteHeader(http.StatusNoContent)
	default:
		q.methodNotAllowed()
	}
}

// uploadFinish serves PUT ?digest=, with an optional last chunk.
func (q *request) uploadFinish(id string) {
	ds := q.r.URL.Query().Get("digest")
	if ds == "" {
		writeError(q.w, errDigestInvalid, "digest query parameter required", nil)
		return
	}
	d, err := ParseDigest(ds)
	if err != nil {
		writeError(q.w, errDigestInvalid, "invalid digest", map[string]string{"digest": ds})
		return
	}
	if q.r.ContentLength != 0 && q.wholeBlobInPut(id) {
		// The common push: POST, then PUT with the whole blob. Store it
		// like a single-request upload and drop the empty session.
		body := &bodyReader{r: q.r.Body}
		size, err := q.reg.store.BlobPut(q.ctx, q.name, d, body)
		if q.bodyError(body) {
			return
		}
		if err != nil {
			q.uploadError(err)
			return
		}
		if err := q.reg.store.UploadCancel(q.ctx, q.name, id); err != nil && !errors.Is(err, storage.ErrUploadUnknown) {
			q.internalError(err)
			return
		}
		if q.notifyStored(blobAction(Push, d, size)) {
			q.blobCreated(d)
		}
		return
	}
	if q.r.ContentLength != 0 {
		if _, ok := q.writeChunk(id); !ok {
			return
		}
	}
	size, err := q.reg.store.UploadCommit(q.ctx, q.name, id, d)
	if err != nil {
		q.uploadError(err)
		return
	}
	if q.notifyStored(blobAction(Push, d, size)) {
		q.blobCreated(d)
	}
}

// wholeBlobInPut reports whether a PUT carries the whole blob: the
// session is empty and the body starts at byte 0.
func (q *request) wholeBlobInPut(id string) bool {
	if cr := q.r.Header.Get("Content-Range"); cr != "" {
		start, end, ok := parseContentRange(cr)
		if !ok || start != 0 || (q.r.ContentLength >= 0 && end+1 != q.r.ContentLength) {
			return false // writeChunk explains what is wrong
		}
	}
	size, err := q.reg.store.UploadSize(q.ctx, q.name, id)
	return err == nil && size == 0
}

// writeChunk appends the request body to an upload, honouring
// Content-Range, and answers the request itself when it fails.
func (q *request) writeChunk(id string) (int64, bool) {
	offset := int64(-1) // streamed: append wherever the upload ends
	if cr := q.r.Header.Get("Content-Range"); cr != "" {
		start, end, ok := parseContentRange(cr)
		if !ok {
			writeError(q.w, errRangeInvalid, "invalid Content-Range", map[string]string{"Content-Range": cr})
			return 0, false
		}
		if q.r.ContentLength >= 0 && q.r.ContentLength != end-start+1 {
			writeError(q.w, errRangeInvalid, "Content-Range does not match Content-Length", map[string]string{"Content-Range": cr})
			return 0, false
		}
		offset = start
	}
	body := &bodyReader{r: q.r.Body}
	size, err := q.reg.store.UploadWrite(q.ctx, q.name, id, offset, body)
	if q.bodyError(body) {
		return 0, false
	}
	if err != nil {
		var re *storage.RangeError
		if errors.As(err, &re) {
			q.setUploadHeaders(id, re.Size)
			writeError(q.w, errRangeInvalid, "chunk out of order", map[string]int64{"size": re.Size})
			return 0, false
		}
		q.uploadError(err)
		return 0, false
	}
	return size, true
}

// parseContentRange reads "<start>-<end>" (optionally "bytes " first and
// "/<total>" after, as some clients send).
func parseContentRange(s string) (start, end int64, ok bool) {
	s = strings.TrimPrefix(s, "bytes ")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, false
	}
	return start, end, true
}

func (q *request) setUploadHeaders(id string, size int64) {
	h := q.w.Header()
	h.Set("Location", q.reg.base+q.name+"/blobs/uploads/"+id)
	h.Set("Docker-Upload-UUID", id)
	end := size - 1
	if end < 0 {
		end = 0
	}
	h.Set("Range", "0-"+strconv.FormatInt(end, 10))
}

func (q *request) uploadAccepted(status int, id string, size int64) {
	q.setUploadHeaders(id, size)
	q.w.Header().Set("Content-Length", "0")
	q.w.WriteHeader(status)
}

func (q *request) blobCreated(d digest.Digest) {
	h := q.w.Header()
	h.Set("Location", q.reg.base+q.name+"/blobs/"+string(d))
	h.Set("Docker-Content-Digest", string(d))
	h.Set("Content-Length", "0")
	q.w.WriteHeader(http.StatusCreated)
}

func (q *request) uploadError(err error) {
	switch {
	case errors.Is(err, storage.ErrUploadUnknown):
		writeError(q.w, errBlobUploadUnknown, "upload unknown", nil)
	case errors.Is(err, storage.ErrDigestMismatch):
		writeError(q.w, errDigestInvalid, "content does not match digest", nil)
	default:
		q.internalError(err)
	}
}

// bodyReader remembers whether reading the request body failed, so a
// client that sends less than its Content-Length gets a 400, not a 500.
type bodyReader struct {
	r   io.Reader
	n   int64
	eof bool
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err == io.EOF {
		b.eof = true
	} else if err != nil {
		b.err = err
	}
	return n, err
}

// bodyError answers a request whose body could not be read whole (the
// client sent less than its Content-Length, or too much), and reports
// whether it did.
func (q *request) bodyError(b *bodyReader) bool {
	short := b.eof && q.r.ContentLength >= 0 && b.n != q.r.ContentLength
	if b.err == nil && !short {
		return false
	}
	var tooBig *http.MaxBytesError
	if errors.As(b.err, &tooBig) {
		writeError(q.w, errTooLarge, "request body too large", nil)
		return true
	}
	writeError(q.w, errSizeInvalid, "request body does not match Content-Length", map[string]int64{"contentLength": q.r.ContentLength, "received": b.n})
	return true
}
