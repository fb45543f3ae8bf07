// Package debug is the registry's debug server: /debug/vars in expvar's
// layout, /debug/health, /debug/pprof and, when enabled, Prometheus metrics.
// Every Server is independent: nothing is published through the global
// expvar or Prometheus registries, so two registries in one process never
// see each other's numbers.
package debug

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server is an http.Handler for one registry's debug endpoints.
type Server struct {
	mux           *http.ServeMux
	notifications func() any
	auth          authOptions
}

// authOptions is who may read the debug server; none set: anyone, as
// Distribution's debug server.
type authOptions struct {
	basic func(user, password string) bool
	realm string
	token [sha256.Size]byte // sha256 of the bearer token
	hasTk bool
}

func (a authOptions) on() bool { return a.basic != nil || a.hasTk }

// allowed reports whether r carries valid credentials: the bearer token,
// or a user and password basic accepts.
func (a authOptions) allowed(r *http.Request) bool {
	if a.hasTk {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			sum := sha256.Sum256([]byte(tok))
			if subtle.ConstantTimeCompare(sum[:], a.token[:]) == 1 {
				return true
			}
		}
	}
	if a.basic != nil {
		if user, password, ok := r.BasicAuth(); ok && a.basic(user, password) {
			return true
		}
	}
	return false
}

// Option configures a Server.
type Option func(*options)

type options struct {
	notifications func() any
	metricsPath   string
	gatherer      prometheus.Gatherer
	pprof         bool
	auth          authOptions
}

// WithBasicAuth makes every endpoint but /debug/health ask for basic
// credentials that verify accepts (e.g. an htpasswd file's Verify).
func WithBasicAuth(verify func(user, password string) bool, realm string) Option {
	return func(o *options) { o.auth.basic, o.auth.realm = verify, realm }
}

// WithBearerToken makes every endpoint but /debug/health ask for
// "Authorization: Bearer <token>" (either this or basic credentials when
// both are set).
func WithBearerToken(token string) Option {
	return func(o *options) { o.auth.token, o.auth.hasTk = sha256.Sum256([]byte(token)), true }
}

// WithNotifications sets what /debug/vars shows under registry.notifications
// (called on every request).
func WithNotifications(vars func() any) Option {
	return func(o *options) { o.notifications = vars }
}

// WithPrometheus serves g's metrics at path.
func WithPrometheus(path string, g prometheus.Gatherer) Option {
	return func(o *options) { o.metricsPath, o.gatherer = path, g }
}

// WithPprof serves net/http/pprof under /debug/pprof/ (default on, as
// Distribution's debug server).
func WithPprof(on bool) Option { return func(o *options) { o.pprof = on } }

// New builds a debug handler.
func New(opts ...Option) *Server {
	o := options{pprof: true}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{mux: http.NewServeMux(), notifications: o.notifications, auth: o.auth}
	s.mux.HandleFunc("GET /debug/vars", s.vars)
	s.mux.HandleFunc("GET /debug/health", health)
	if o.gatherer != nil && o.metricsPath != "" {
		s.mux.Handle("GET "+o.metricsPath, promhttp.HandlerFor(o.gatherer, promhttp.HandlerOpts{}))
	}
	if o.pprof {
		s.mux.HandleFunc("/debug/pprof/", pprof.Index)
		s.mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		s.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		s.mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		s.mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return s
}

// ServeHTTP implements http.Handler. With auth on, only /debug/health
// (nothing secret, and what probes poll) is served without credentials.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.auth.on() && r.URL.Path != "/debug/health" && !s.auth.allowed(r) {
		if s.auth.basic != nil {
			w.Header().Add("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", s.auth.realm))
		}
		if s.auth.hasTk {
			w.Header().Add("WWW-Authenticate", "Bearer")
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Vars is the document /debug/vars serves, in expvar's top-level layout.
type Vars struct {
	Registry RegistryVars     `json:"registry"`
	Memstats runtime.MemStats `json:"memstats"`
	Cmdline  []string         `json:"cmdline"`
}

// RegistryVars is the registry key, as in Distribution.
type RegistryVars struct {
	Notifications any `json:"notifications"`
}

func (s *Server) vars(w http.ResponseWriter, _ *http.Request) {
	v := Vars{Cmdline: os.Args}
	if s.notifications != nil {
		v.Registry.Notifications = s.notifications()
	} else {
		v.Registry.Notifications = map[string]any{"endpoints": []any{}}
	}
	runtime.ReadMemStats(&v.Memstats)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write([]byte("{}\n"))
}
