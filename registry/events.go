package registry

import (
	"net/http"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// notify reports an Action to the listener, filling in who asked. Callers
// check q.listening() first when building the Action costs anything.
func (q *request) notify(a Action) {
	if q.reg.listener == nil {
		return
	}
	a.Repository = q.name
	a.User = q.user
	a.Request = RequestInfo{
		ID:        q.id,
		Addr:      q.r.RemoteAddr,
		Host:      q.r.Host,
		Method:    q.r.Method,
		UserAgent: q.r.UserAgent(),
		Scheme:    scheme(q.r),
	}
	q.reg.listener.Notify(q.ctx, a)
}

func (q *request) listening() bool { return q.reg.listener != nil }

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		return p
	}
	return "http"
}

// blobAction is an Action about a blob; blobs carry no media type.
func blobAction(verb Verb, d digest.Digest, size int64) Action {
	return Action{Verb: verb, Object: Blob, Descriptor: v1.Descriptor{Digest: d, Size: size}}
}
