// Package registry is an OCI distribution-spec v1.1 registry as an
// http.Handler: blobs, chunked and monolithic uploads, cross-repository
// mounts, manifests (OCI image manifest and index, Docker schema2 manifest
// and manifest list), the referrers API, tag lists and the catalog. Content
// lives in a storage.Driver; every successful push, pull, mount and delete
// is reported to a Listener (see hook.go).
package registry

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hookbench/hookbench/registry/storage"
	"github.com/hookbench/hookbench/registry/storage/inmemory"
)

// DefaultMaxManifestSize is the largest manifest accepted unless
// WithMaxManifestSize says otherwise (4 MiB, as Distribution).
const DefaultMaxManifestSize = 4 << 20

// Registry is the distribution API handler. Build it with New.
type Registry struct {
	store        storage.Driver
	listener     Listener
	deletes      bool
	authenticate func(*http.Request) (string, bool)
	challenge    string
	access       AccessController
	base         string // "/v2/", or under WithPathPrefix
	log          *slog.Logger
	maxManifest  int64
	readOnly     bool
}

// Option configures a Registry.
type Option func(*Registry)

// WithStorage sets where content lives (default: a fresh in-memory driver).
func WithStorage(d storage.Driver) Option { return func(r *Registry) { r.store = d } }

// WithListener sets who hears about pushes, pulls, mounts and deletes.
func WithListener(l Listener) Option { return func(r *Registry) { r.listener = l } }

// WithDelete switches the DELETE API on (off by default, as Distribution's
// storage.delete.enabled); when off, deletes answer 405 UNSUPPORTED.
func WithDelete(enabled bool) Option { return func(r *Registry) { r.deletes = enabled } }

// WithAuthenticator requires every request to pass authenticate; the user
// name it returns goes into events. A refused request is answered 401 with
// a Basic challenge for realm.
func WithAuthenticator(authenticate func(*http.Request) (user string, ok bool), realm string) Option {
	return func(r *Registry) {
		r.authenticate = authenticate
		r.challenge = `Basic realm="` + strings.ReplaceAll(realm, `"`, `'`) + `"`
	}
}

// WithLogger logs one line per request (request id, method, path, status,
// duration) at Info level, and failures of storage at Error level.
func WithLogger(l *slog.Logger) Option { return func(r *Registry) { r.log = l } }

// WithMaxManifestSize bounds manifest PUT bodies (n <= 0 keeps the default).
func WithMaxManifestSize(n int64) Option {
	return func(r *Registry) {
		if n > 0 {
			r.maxManifest = n
		}
	}
}

// WithPathPrefix serves the API under prefix ("/registry" or "/registry/"
// -> /registry/v2/), in Location and Link headers too, as Distribution's
// http.prefix.
func WithPathPrefix(prefix string) Option {
	return func(r *Registry) {
		r.base = "/" + strings.Trim(prefix, "/") + "/v2/"
		r.base = strings.Replace(r.base, "//", "/", 1)
	}
}

// New returns a Registry configured by opts.
func New(opts ...Option) *Registry {
	r := &Registry{maxManifest: DefaultMaxManifestSize, base: "/v2/"}
	for _, o := range opts {
		o(r)
	}
	if r.store == nil {
		r.store = inmemory.New()
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// ServeHTTP implements http.Handler: request id, logging, routing,
// authentication and authorization, then the route's handler.
func (reg *Registry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := requestID(r)
	w.Header().Set("X-Request-Id", id)
	var rec *statusRecorder
	if reg.log.Enabled(r.Context(), slog.LevelInfo) {
		rec = newStatusRecorder(w)
		w = rec
		defer reg.logRequest(r, id, rec)
	}
	var user string
	if reg.authenticate != nil {
		var ok bool
		if user, ok = reg.authenticate(r); !ok {
			w.Header().Set("WWW-Authenticate", reg.challenge)
			w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
			writeError(w, errUnauthorized, "authentication required", nil)
			return
		}
	}
	req := &request{reg: reg, w: w, r: r, ctx: r.Context(), id: id, user: user}
	rt, ok := reg.route(req)
	if !ok {
		return
	}
	if reg.access != nil {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		if req.user, ok = reg.authorize(w, r, requiredAccess(r, rt.kind, req.name)); !ok {
			return
		}
	}
	req.dispatch(rt)
}

// request is one API request on its way through the handlers.
type request struct {
	reg  *Registry
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context
	id   string
	user string
	name string // repository
}

// route is where a request goes: its kind and last path segment (the
// repository name is set on the request).
type route struct {
	kind, last string
	start      bool // upload: POST .../blobs/uploads/ (no session id)
}

// route matches the path. Repository names contain slashes, so the path
// is matched from its end: /v2/<name>/blobs/uploads/<id>,
// /v2/<name>/blobs/<digest>, /v2/<name>/manifests/<ref>,
// /v2/<name>/tags/list, /v2/<name>/referrers/<digest>. It answers a path
// that is not the API itself (false).
func (reg *Registry) route(q *request) (route, bool) {
	path := q.r.URL.Path
	if path == reg.base || path == strings.TrimSuffix(reg.base, "/") {
		return route{kind: "base"}, true
	}
	rest, ok := strings.CutPrefix(path, reg.base)
	if !ok {
		writeError(q.w, errNotFound, "not a distribution API path", nil)
		return route{}, false
	}
	if rest == "_catalog" {
		return route{kind: "catalog"}, true
	}
	segs := strings.Split(rest, "/")
	n := len(segs)
	at := func(i int) string { // segment i from the end (1 = last)
		if i > n {
			return ""
		}
		return segs[n-i]
	}
	var kind string
	var nameEnd int // number of segments that are the name
	switch {
	case n >= 3 && at(3) == "blobs" && at(2) == "uploads":
		kind, nameEnd = "upload", n-3
	case n >= 3 && at(2) == "blobs" && at(1) == "uploads":
		kind, nameEnd = "upload", n-2 // POST without trailing slash
	case n >= 3 && at(2) == "blobs":
		kind, nameEnd = "blob", n-2
	case n >= 3 && at(2) == "manifests":
		kind, nameEnd = "manifest", n-2
	case n >= 3 && at(2) == "tags" && at(1) == "list":
		kind, nameEnd = "tags", n-2
	case n >= 3 && at(2) == "referrers":
		kind, nameEnd = "referrers", n-2
	default:
		writeError(q.w, errNotFound, "not a distribution API path", nil)
		return route{}, false
	}
	q.name = strings.Join(segs[:nameEnd], "/")
	if !ValidName(q.name) {
		writeError(q.w, errNameInvalid, "invalid repository name", map[string]string{"name": q.name})
		return route{}, false
	}
	if q.readOnlyRefused() {
		return route{}, false
	}
	last := segs[n-1]
	return route{kind: kind, last: last, start: kind == "upload" && (nameEnd == n-2 || last == "")}, true
}

// dispatch runs the route's handler.
func (q *request) dispatch(rt route) {
	switch rt.kind {
	case "base":
		q.base()
	case "catalog":
		q.catalog()
	case "upload":
		if rt.start {
			q.uploadStart()
			return
		}
		q.upload(rt.last)
	case "blob":
		q.blob(rt.last)
	case "manifest":
		q.manifest(rt.last)
	case "tags":
		q.tags()
	case "referrers":
		q.referrers(rt.last)
	}
}

// base answers the version check.
func (q *request) base() {
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		q.methodNotAllowed()
		return
	}
	h := q.w.Header()
	h.Set("Docker-Distribution-API-Version", "registry/2.0")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", "2")
	q.w.WriteHeader(http.StatusOK)
	if q.r.Method == http.MethodGet {
		q.w.Write([]byte("{}"))
	}
}

func (q *request) methodNotAllowed() {
	writeError(q.w, errUnsupported, "method not allowed", map[string]string{"method": q.r.Method})
}

// deleteDisabled answers a DELETE when deletes are off, and reports whether it did.
func (q *request) deleteDisabled() bool {
	if q.reg.deletes {
		return false
	}
	writeError(q.w, errUnsupported, "deletes are disabled (storage.delete.enabled: false)", nil)
	return true
}

// internalError answers a storage failure and logs it: 503 UNAVAILABLE
// when a retry may cure it (storage.ErrUnavailable), else 500; bad input
// never gets here.
func (q *request) internalError(err error) {
	q.reg.log.ErrorContext(q.ctx, "storage failure", "request_id", q.id, "repository", q.name, "err", err)
	if errors.Is(err, storage.ErrUnavailable) {
		writeError(q.w, errUnavailable, "storage unavailable, retry later", nil)
		return
	}
	writeError(q.w, errInternal, "internal storage error", nil)
}
