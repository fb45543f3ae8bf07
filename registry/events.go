package registry

import (
	"net/http"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// notify reports an Action to the listener, filling in who asked. Callers
// check q.listening() first when building the Action costs anything.
// Pulls use it after answering; a lost pull event is only logged by the
// listener.
func (q *request) notify(a Action) {
	if q.reg.listener == nil {
		return
	}
	q.reg.listener.Notify(q.ctx, q.fill(a))
}

// notifyStored reports the Actions of a request that changed the registry,
// before the success answer is written. When the listener could not keep
// their events (a StoringListener's durable queue failed) it answers 503
// UNAVAILABLE and returns false: the caller must not answer success.
func (q *request) notifyStored(actions ...Action) bool {
	l := q.reg.listener
	if l == nil || len(actions) == 0 {
		return true
	}
	for i := range actions {
		actions[i] = q.fill(actions[i])
	}
	sl, ok := l.(StoringListener)
	if !ok {
		for _, a := range actions {
			l.Notify(q.ctx, a)
		}
		return true
	}
	if err := sl.NotifyStored(q.ctx, actions...); err != nil {
		q.reg.log.ErrorContext(q.ctx, "event not stored; request failed", "request_id", q.id, "repository", q.name, "err", err)
		writeError(q.w, errUnavailable, "the change is stored but its notification event could not be queued; retry the request", nil)
		return false
	}
	return true
}

func (q *request) fill(a Action) Action {
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
	return a
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
