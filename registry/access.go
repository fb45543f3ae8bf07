package registry

import (
	"errors"
	"net/http"
)

// Access is one resource and action a request needs, in the terms of
// Docker token scopes: Type "repository", Name the repository, Action
// pull, push or delete; or Type "registry", Name "catalog", Action "*".
type Access struct {
	Type   string `json:"type"`
	Name   string `json:"name"`
	Action string `json:"action"`
}

// AccessController decides whether a request may have all of access (none
// for the /v2/ version check: any valid credential will do). It returns
// the user name that goes into events. To refuse, it returns a *Challenge;
// any other error is answered 401 without a challenge.
type AccessController interface {
	Authorized(r *http.Request, access ...Access) (user string, err error)
}

// Challenge refuses a request: 401 UNAUTHORIZED with WWW-Authenticate:
// Header (Distribution answers an insufficient scope the same way, with
// error="insufficient_scope" in the header, so clients fetch a new token).
type Challenge struct {
	Header string
	Err    error
}

// ErrInsufficientScope is what an AccessController wraps in a Challenge
// when the credential is valid but does not grant the access asked for.
var ErrInsufficientScope = errors.New("insufficient scope")

func (c *Challenge) Error() string { return c.Err.Error() }
func (c *Challenge) Unwrap() error { return c.Err }

// WithAccessController checks every API request against ac with the access
// its route needs (see Access); the user it returns goes into events. With
// an access controller, a mount without ?from= is not attempted (it would
// reveal blobs of repositories the user may not pull): a session starts.
func WithAccessController(ac AccessController) Option {
	return func(r *Registry) { r.access = ac }
}

// requiredAccess is what a request on route kind needs, as Distribution
// asks: reads need pull, writes pull and push, deletes delete; a mount
// also needs pull on the source repository; the catalog registry:catalog:*.
func requiredAccess(r *http.Request, kind, name string) []Access {
	switch kind {
	case "base":
		return nil
	case "catalog":
		return []Access{{Type: "registry", Name: "catalog", Action: "*"}}
	}
	repo := func(n, action string) Access { return Access{Type: "repository", Name: n, Action: action} }
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return []Access{repo(name, "pull")}
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		acc := []Access{repo(name, "pull"), repo(name, "push")}
		if kind == "upload" && r.Method == http.MethodPost {
			q := r.URL.Query()
			if from := q.Get("from"); q.Get("mount") != "" && from != "" && from != name && ValidName(from) {
				acc = append(acc, repo(from, "pull"))
			}
		}
		return acc
	case http.MethodDelete:
		return []Access{repo(name, "delete")}
	}
	return nil
}

// authorize runs the access controller; false means it answered.
func (reg *Registry) authorize(w http.ResponseWriter, r *http.Request, access []Access) (string, bool) {
	user, err := reg.access.Authorized(r, access...)
	if err == nil {
		return user, true
	}
	var ch *Challenge
	if errors.As(err, &ch) && ch.Header != "" {
		w.Header().Set("WWW-Authenticate", ch.Header)
	}
	msg := "authentication required"
	if errors.Is(err, ErrInsufficientScope) {
		msg = "access to the requested resource is not authorized"
	}
	var detail any
	if len(access) > 0 {
		detail = access
	}
	writeError(w, errUnauthorized, msg, detail)
	return "", false
}
