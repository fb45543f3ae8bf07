package registry

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry/storage"
)

// manifest serves /v2/<name>/manifests/<reference>.
func (q *request) manifest(refStr string) {
	ref, err := ParseReference(refStr)
	if err != nil {
		if strings.Contains(refStr, ":") {
			writeError(q.w, errDigestInvalid, "invalid digest", map[string]string{"reference": refStr})
		} else {
			writeError(q.w, errManifestInvalid, "invalid tag", map[string]string{"reference": refStr})
		}
		return
	}
	switch q.r.Method {
	case http.MethodGet, http.MethodHead:
		q.manifestGet(ref)
	case http.MethodPut:
		q.manifestPut(ref)
	case http.MethodDelete:
		q.manifestDelete(ref)
	default:
		q.methodNotAllowed()
	}
}

func (q *request) manifestGet(ref Reference) {
	d := ref.Digest
	if ref.Tag != "" {
		var err error
		if d, err = q.reg.store.TagResolve(q.ctx, q.name, ref.Tag); err != nil {
			q.manifestError(err)
			return
		}
	}
	m, err := q.reg.store.ManifestGet(q.ctx, q.name, d)
	if err != nil {
		q.manifestError(err)
		return
	}
	mt := m.Descriptor.MediaType
	// Like Distribution: a client that cannot read an OCI manifest gets 404
	// when it asks by tag; by digest it asked for exactly these bytes, and
	// Docker formats are what every old client reads anyway.
	if ref.Tag != "" && isOCI(mt) && !accepts(q.r.Header.Values("Accept"), mt) {
		writeError(q.w, errManifestUnknown, "manifest found but its media type is not in Accept", map[string]string{"mediaType": mt})
		return
	}
	h := q.w.Header()
	h.Set("Content-Type", mt)
	h.Set("Content-Length", strconv.Itoa(len(m.Content)))
	h.Set("Docker-Content-Digest", string(d))
	h.Set("Etag", `"`+string(d)+`"`)
	q.w.WriteHeader(http.StatusOK)
	if q.r.Method == http.MethodGet {
		q.w.Write(m.Content)
	}
	if q.listening() {
		a := Action{Verb: Pull, Object: Manifest, Tag: ref.Tag, Descriptor: v1.Descriptor{MediaType: mt, Digest: d, Size: int64(len(m.Content))}}
		if p, err := parseManifest(mt, m.Content); err == nil {
			a.References = p.References()
		}
		q.notify(a)
	}
}

// accepts reports whether Accept headers admit media type mt. No Accept
// header, or a wildcard, admits everything.
func accepts(accept []string, mt string) bool {
	if len(accept) == 0 {
		return true
	}
	for _, line := range accept {
		for _, part := range strings.Split(line, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			t, _, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			if t == mt || t == "*/*" || t == "application/*" {
				return true
			}
		}
	}
	return false
}

func (q *request) manifestPut(ref Reference) {
	max := q.reg.maxManifest
	if q.r.ContentLength > max {
		writeError(q.w, errTooLarge, "manifest too large", map[string]int64{"limit": max})
		return
	}
	content, body := readManifestBody(q.r, max)
	if q.bodyError(body) {
		return
	}
	if int64(len(content)) > max {
		writeError(q.w, errTooLarge, "manifest too large", map[string]int64{"limit": max})
		return
	}
	p, err := parseManifest(q.r.Header.Get("Content-Type"), content)
	if err != nil {
		writeError(q.w, errManifestInvalid, err.Error(), nil)
		return
	}
	d := computeDigest(ref.Digest, content)
	if ref.Digest != "" && d != ref.Digest {
		writeError(q.w, errDigestInvalid, "manifest does not match the digest in the URL", map[string]string{"digest": string(d)})
		return
	}
	for i, b := range p.Blobs {
		if foreignLayer(b) || statedBefore(p.Blobs[:i], b.Digest) {
			continue
		}
		if _, err := q.reg.store.BlobStat(q.ctx, q.name, b.Digest); err != nil {
			if errors.Is(err, storage.ErrBlobUnknown) {
				writeError(q.w, errManifestBlobUnknown, "manifest references a blob unknown to the repository", map[string]string{"digest": string(b.Digest)})
				return
			}
			q.internalError(err)
			return
		}
	}
	for _, c := range p.Children {
		if _, err := q.reg.store.ManifestGet(q.ctx, q.name, c.Digest); err != nil {
			if errors.Is(err, storage.ErrManifestUnknown) {
				writeError(q.w, errManifestBlobUnknown, "index references a manifest unknown to the repository", map[string]string{"digest": string(c.Digest)})
				return
			}
			q.internalError(err)
			return
		}
	}
	desc := v1.Descriptor{MediaType: p.MediaType, Digest: d, Size: int64(len(content))}
	stored := storage.Manifest{Content: content}
	stored.Descriptor = desc
	stored.Descriptor.ArtifactType = p.ArtifactType
	stored.Descriptor.Annotations = p.Annotations
	if p.Subject != nil {
		stored.Subject = p.Subject.Digest
	}
	var tags []string
	if ref.Tag != "" {
		tags = []string{ref.Tag}
	} else {
		// PUT by digest with ?tag= parameters (distribution-spec 1.1+dev).
		for _, t := range q.r.URL.Query()["tag"] {
			if !ValidTag(t) {
				writeError(q.w, errManifestInvalid, "invalid tag parameter", map[string]string{"tag": t})
				return
			}
			tags = append(tags, t)
		}
	}
	if err := q.reg.store.ManifestPut(q.ctx, q.name, stored, tags...); err != nil {
		q.internalError(err)
		return
	}
	if q.listening() {
		var actions []Action
		if len(tags) == 0 {
			actions = append(actions, Action{Verb: Push, Object: Manifest, Descriptor: desc, References: p.References()})
		}
		for _, t := range tags { // one event per tag, as a push by each tag would give
			actions = append(actions, Action{Verb: Push, Object: Manifest, Tag: t, Descriptor: desc, References: p.References()})
		}
		if !q.notifyStored(actions...) {
			return
		}
	}
	h := q.w.Header()
	// Canonical keys set directly, their values sharing one array: a
	// Set per header allocates a slice each.
	vals := [...]string{q.reg.base + q.name + "/manifests/" + string(d), string(d), "0"}
	h["Location"] = vals[0:1:1]
	h["Docker-Content-Digest"] = vals[1:2:2]
	h["Content-Length"] = vals[2:3:3]
	if p.Subject != nil {
		h.Set("OCI-Subject", string(p.Subject.Digest))
	}
	if ref.Tag == "" && len(tags) > 0 {
		h.Set("OCI-Tag", strings.Join(tags, ", "))
	}
	q.w.WriteHeader(http.StatusCreated)
}

// readManifestBody reads a manifest PUT's body, of at most max bytes. With
// a Content-Length (at most max, checked before) it is read into one
// buffer of that size: io.ReadAll would grow its buffer from 512 bytes,
// copying as it goes.
func readManifestBody(r *http.Request, max int64) ([]byte, *bodyReader) {
	if n := r.ContentLength; n >= 0 && n <= max {
		body := &bodyReader{r: r.Body}
		content := make([]byte, n)
		got, _ := io.ReadFull(body, content)
		if !body.eof && body.err == nil {
			// A body longer than its Content-Length is refused as before
			// (bodyError); net/http's server answers EOF with the last
			// bytes, so this costs nothing there.
			var one [1]byte
			if extra, _ := body.Read(one[:]); extra > 0 {
				io.Copy(io.Discard, io.LimitReader(body, max))
				if !body.eof && body.err == nil {
					body.err = errors.New("request body longer than its Content-Length")
				}
			}
		}
		return content[:got], body
	}
	body := &bodyReader{r: io.LimitReader(r.Body, max+1)}
	content, _ := io.ReadAll(body)
	return content, body
}

// statedBefore reports whether digest d is among blobs already checked
// (a config that is also a layer is looked up once).
func statedBefore(blobs []v1.Descriptor, d digest.Digest) bool {
	for i := range blobs {
		if blobs[i].Digest == d && !foreignLayer(blobs[i]) {
			return true
		}
	}
	return false
}

func (q *request) manifestDelete(ref Reference) {
	if q.deleteDisabled() {
		return
	}
	if ref.Tag != "" {
		if _, err := q.reg.store.TagDelete(q.ctx, q.name, ref.Tag); err != nil {
			q.manifestError(err)
			return
		}
		if q.notifyStored(Action{Verb: Delete, Object: Tag, Tag: ref.Tag}) {
			q.accepted()
		}
		return
	}
	tags, err := q.reg.store.ManifestDelete(q.ctx, q.name, ref.Digest)
	if err != nil {
		q.manifestError(err)
		return
	}
	actions := []Action{{Verb: Delete, Object: Manifest, Descriptor: v1.Descriptor{Digest: ref.Digest}}}
	for _, t := range tags {
		actions = append(actions, Action{Verb: Delete, Object: Tag, Tag: t})
	}
	if q.notifyStored(actions...) {
		q.accepted()
	}
}

func (q *request) accepted() {
	q.w.Header().Set("Content-Length", "0")
	q.w.WriteHeader(http.StatusAccepted)
}

func (q *request) manifestError(err error) {
	if errors.Is(err, storage.ErrManifestUnknown) || errors.Is(err, storage.ErrTagUnknown) {
		writeError(q.w, errManifestUnknown, "manifest unknown to registry", nil)
		return
	}
	q.internalError(err)
}
