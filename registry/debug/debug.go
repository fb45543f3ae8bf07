// Package debug is the registry's debug server: /debug/vars in expvar's
// layout, /debug/health, /debug/pprof and, when enabled, Prometheus metrics.
// Every Server is independent: nothing is published through the global
// expvar or Prometheus registries, so two registries in one process never
// see each other's numbers.
package debug

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server is an http.Handler for one registry's debug endpoints.
type Server struct {
	mux           *http.ServeMux
	notifications func() any
}

// Option configures a Server.
type Option func(*options)

type options struct {
	notifications func() any
	metricsPath   string
	gatherer      prometheus.Gatherer
	pprof         bool
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
	s := &Server{mux: http.NewServeMux(), notifications: o.notifications}
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

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

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
