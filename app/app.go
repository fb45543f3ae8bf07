// Package app builds one registry process from a config: storage, auth,
// the API handler, the notification pipeline and the debug server, and
// runs them on their listeners with a graceful shutdown.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/notifications"
	"github.com/hookbench/hookbench/registry"
	"github.com/hookbench/hookbench/registry/auth"
	"github.com/hookbench/hookbench/registry/debug"
	"github.com/hookbench/hookbench/registry/storage"
	"github.com/hookbench/hookbench/registry/storage/filesystem"
	"github.com/hookbench/hookbench/registry/storage/inmemory"
	"github.com/hookbench/hookbench/registry/storage/s3"
)

// App is one registry instance. Build it with New, run it with Start, stop
// it with Shutdown.
type App struct {
	cfg        *config.Config
	log        *slog.Logger
	instanceID string
	notifier   *notifications.Notifier
	handler    http.Handler
	debug      http.Handler // nil without http.debug.addr
	metrics    *prometheus.Registry
	tls        *tls.Config // nil: plain HTTP
	store      storage.Driver
	stopPurge  func() // stops the upload purger and waits; nil when none runs

	mu          sync.Mutex
	api, dbg    *http.Server
	addr, dAddr string
	started     bool
	shutdown    bool
	serveErrs   chan error
}

// Option configures an App.
type Option func(*options)

type options struct {
	logger      *slog.Logger
	notifierOps []notifications.Option
}

// WithLogger sets the logger (default: built from cfg.Log, to stderr).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithNotifierOptions passes extra options to notifications.New (after
// the App's own WithSource and WithLogger, so they can override them).
func WithNotifierOptions(opts ...notifications.Option) Option {
	return func(o *options) { o.notifierOps = append(o.notifierOps, opts...) }
}

// New builds every part of the registry from cfg (a config from
// config.Parse or config.Load, defaults applied). Nothing listens until
// Start. With an http.addr port of 0 the events' source.addr carries
// port 0, since the real port is only known after Start.
func New(cfg *config.Config, opts ...Option) (*App, error) {
	if cfg == nil {
		return nil, errors.New("app: nil config")
	}
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = NewLogger(cfg.Log, nil)
	}
	a := &App{cfg: cfg, log: o.logger, instanceID: uuid.NewString(), serveErrs: make(chan error, 2)}

	store, err := newStorage(cfg.Storage)
	if err != nil {
		return nil, err
	}
	a.store = store
	built := false
	defer func() {
		if !built {
			a.closeStore()
		}
	}()
	regOpts := []registry.Option{
		registry.WithStorage(store),
		registry.WithDelete(cfg.Storage.Delete.Enabled),
		registry.WithReadOnly(cfg.Storage.Maintenance.ReadOnly.Enabled),
		registry.WithLogger(a.log),
	}
	if h := cfg.Auth.Htpasswd; h != nil {
		users, err := auth.Load(h.Path)
		if err != nil {
			return nil, fmt.Errorf("auth.htpasswd.path: %w", err)
		}
		regOpts = append(regOpts, registry.WithAuthenticator(users.Authenticate, h.Realm))
	}
	if t := cfg.Auth.Token; t != nil {
		tok, err := auth.NewToken(auth.TokenOptions{
			Realm: t.Realm, Service: t.Service, Issuer: t.Issuer,
			RootCertBundle: t.RootCertBundle, JWKS: t.JWKS,
			AutoRedirect: t.AutoRedirect, AutoRedirectPath: t.AutoRedirectPath,
		})
		if err != nil {
			return nil, fmt.Errorf("auth.token.%w", err)
		}
		regOpts = append(regOpts, registry.WithAccessController(tok))
	}
	if cfg.HTTP.Prefix != "" {
		regOpts = append(regOpts, registry.WithPathPrefix(cfg.HTTP.Prefix))
	}
	if t := cfg.HTTP.TLS; t != nil {
		if a.tls, err = tlsConfig(t); err != nil {
			return nil, err
		}
	}
	var dOpts []debug.Option
	if h := cfg.HTTP.Debug.Auth.Htpasswd; h != nil {
		users, err := auth.Load(h.Path)
		if err != nil {
			return nil, fmt.Errorf("http.debug.auth.htpasswd.path: %w", err)
		}
		realm := h.Realm
		if realm == "" {
			realm = config.DefaultDebugRealm
		}
		dOpts = append(dOpts, debug.WithBasicAuth(users.Verify, realm))
	}
	if tok := cfg.HTTP.Debug.Auth.Token; tok != "" {
		dOpts = append(dOpts, debug.WithBearerToken(tok))
	}

	nOpts := []notifications.Option{
		notifications.WithSource(cfg.HTTP.Addr, a.instanceID),
		notifications.WithLogger(a.log),
	}
	if cfg.HTTP.Host != "" {
		// Target URLs carry http.prefix, as Distribution's URL builder's do.
		base := strings.TrimSuffix(cfg.HTTP.Host, "/")
		if p := strings.Trim(cfg.HTTP.Prefix, "/"); p != "" {
			base += "/" + p
		}
		nOpts = append(nOpts, notifications.WithBaseURL(base))
	}
	a.notifier, err = NewNotifier(cfg.Notifications, append(nOpts, o.notifierOps...)...)
	if err != nil {
		return nil, err
	}
	if hasEnabledEndpoint(cfg.Notifications) {
		// Without endpoints the registry gets no listener: no event is even built.
		regOpts = append(regOpts, registry.WithListener(a.notifier))
	}
	a.handler = withHeaders(registry.New(regOpts...), cfg.HTTP.Headers)

	if cfg.HTTP.Debug.Addr != "" {
		dOpts = append(dOpts, debug.WithNotifications(a.notifier.Vars))
		if p := cfg.HTTP.Debug.Prometheus; p.Enabled {
			a.metrics = prometheus.NewRegistry()
			a.metrics.MustRegister(
				collectors.NewGoCollector(),
				collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
			)
			if err := a.notifier.Register(a.metrics); err != nil {
				a.notifier.Shutdown(canceled())
				return nil, fmt.Errorf("http.debug.prometheus: %w", err)
			}
			path := p.Path
			if path == "" {
				path = config.DefaultPrometheusPath
			}
			dOpts = append(dOpts, debug.WithPrometheus(path, a.metrics))
		}
		a.debug = debug.New(dOpts...)
	}
	built = true
	return a, nil
}

// closeStore closes the storage driver when it holds files open.
func (a *App) closeStore() {
	if c, ok := a.store.(io.Closer); ok {
		if err := c.Close(); err != nil {
			a.log.Error("closing storage", "error", err)
		}
	}
}

func newStorage(s config.Storage) (storage.Driver, error) {
	switch {
	case s.Filesystem != nil:
		var opts []filesystem.Option
		if s.Maintenance.ReadOnly.Enabled {
			opts = append(opts, filesystem.ReadOnly())
		}
		if dw := s.Filesystem.DirectWrites; dw != nil && !*dw {
			opts = append(opts, filesystem.Buffered())
		}
		d, err := filesystem.New(s.Filesystem.RootDirectory, opts...)
		if err != nil {
			return nil, fmt.Errorf("storage.filesystem.rootdirectory: %w", err)
		}
		return d, nil
	case s.InMemory != nil:
		return inmemory.New(), nil
	case s.S3 != nil:
		d, err := s3.New(s3Config(s.S3))
		if err != nil {
			return nil, fmt.Errorf("storage.s3: %w", err)
		}
		return d, nil
	}
	return nil, errors.New("storage: no storage driver configured (want filesystem, inmemory or s3)")
}

// s3Config is storage.s3 for the driver (defaults already applied by config).
func s3Config(c *config.S3) s3.Config {
	return s3.Config{
		Region:                      c.Region,
		RegionEndpoint:              c.RegionEndpoint,
		Bucket:                      c.Bucket,
		RootDirectory:               c.RootDirectory,
		AccessKey:                   c.AccessKey,
		SecretKey:                   string(c.SecretKey),
		ForcePathStyle:              c.ForcePathStyle,
		Secure:                      c.Secure == nil || *c.Secure,
		SkipVerify:                  c.SkipVerify,
		ChunkSize:                   int64(c.ChunkSize),
		MultipartCopyThresholdSize:  int64(c.MultipartCopyThresholdSize),
		MultipartCopyChunkSize:      int64(c.MultipartCopyChunkSize),
		MultipartCopyMaxConcurrency: c.MultipartCopyMaxConcurrency,
	}
}

func hasEnabledEndpoint(n config.Notifications) bool {
	for _, ep := range n.Endpoints {
		if !ep.Disabled {
			return true
		}
	}
	return false
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// Handler is the registry API (usable without Start, e.g. in httptest).
func (a *App) Handler() http.Handler { return a.handler }

// DebugHandler is the debug server's handler, nil when http.debug.addr is empty.
func (a *App) DebugHandler() http.Handler { return a.debug }

// Notifier is the notification pipeline (for counters in tests).
func (a *App) Notifier() *notifications.Notifier { return a.notifier }

// InstanceID identifies this App in events' source.instanceID.
func (a *App) InstanceID() string { return a.instanceID }

// Start listens on http.addr (and http.debug.addr) and serves in the
// background. Port 0 picks a free port; Addr and DebugAddr tell which.
func (a *App) Start() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return errors.New("app: already started")
	}
	if a.shutdown {
		return errors.New("app: already shut down")
	}
	ln, err := net.Listen("tcp", a.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http.addr: %w", err)
	}
	var dln net.Listener
	if a.debug != nil {
		if dln, err = net.Listen("tcp", a.cfg.HTTP.Debug.Addr); err != nil {
			ln.Close()
			return fmt.Errorf("http.debug.addr: %w", err)
		}
	}
	a.started = true
	errLog := slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)
	a.api = &http.Server{Handler: a.handler, ReadHeaderTimeout: 30 * time.Second, ErrorLog: errLog, TLSConfig: a.tls}
	if a.tls != nil && (a.cfg.HTTP.HTTP2.Disabled || !http2Suites(a.tls)) {
		// A non-nil, empty map keeps ServeTLS from setting up HTTP/2 (which
		// would refuse to serve without an AES-128-GCM suite).
		a.api.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	a.addr = ln.Addr().String()
	go a.serve(a.api, ln)
	if dln != nil {
		a.dbg = &http.Server{Handler: a.debug, ReadHeaderTimeout: 30 * time.Second, ErrorLog: errLog}
		a.dAddr = dln.Addr().String()
		go a.serve(a.dbg, dln)
	}
	if enabled, age, interval, dryRun := a.cfg.Storage.Maintenance.Purging(); enabled {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		a.stopPurge = func() { cancel(); <-done }
		go func() {
			defer close(done)
			registry.RunUploadPurger(ctx, a.store, age, interval, dryRun, a.log)
		}()
	}
	a.log.Info("registry listening", "addr", a.addr, "readonly", a.cfg.Storage.Maintenance.ReadOnly.Enabled, "tls", a.tls != nil, "debug", a.dAddr, "instanceID", a.instanceID,
		"storage", storageName(a.cfg.Storage), "delete", a.cfg.Storage.Delete.Enabled,
		"endpoints", len(a.cfg.Notifications.Endpoints))
	return nil
}

func (a *App) serve(s *http.Server, ln net.Listener) {
	serve := s.Serve
	if s.TLSConfig != nil {
		// ServeTLS adds h2 and http/1.1 to the config's NextProtos.
		serve = func(ln net.Listener) error { return s.ServeTLS(ln, "", "") }
	}
	if err := serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Error("server stopped", "addr", ln.Addr().String(), "error", err)
		a.serveErrs <- err
	}
}

// Errors delivers an error if a listener fails while serving (not on
// Shutdown); the program should then exit.
func (a *App) Errors() <-chan error { return a.serveErrs }

func storageName(s config.Storage) string {
	if s.Filesystem != nil {
		return "filesystem:" + s.Filesystem.RootDirectory
	}
	if s.S3 != nil {
		return "s3:" + s.S3.Bucket + "/" + strings.Trim(s.S3.RootDirectory, "/")
	}
	return "inmemory"
}

// Addr is the API's host:port after Start ("" before).
func (a *App) Addr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.addr
}

// DebugAddr is the debug server's host:port after Start ("" without one).
func (a *App) DebugAddr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dAddr
}

// Shutdown stops taking requests and waits for in-flight ones, then lets
// the notifier deliver what is pending, both until ctx is done; the debug
// server stays up meanwhile so the drain can be watched, and closes last.
// With an expired ctx nothing is drained (as a kill). It returns ctx's
// error if in-flight requests had to be cut off.
func (a *App) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	if a.shutdown {
		a.mu.Unlock()
		return nil
	}
	a.shutdown = true
	api, dbg := a.api, a.dbg
	a.mu.Unlock()

	var errs []error
	if api != nil {
		if err := api.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("in-flight requests cut off: %w", err))
			_ = api.Close()
		}
	}
	dropped := a.notifier.Shutdown(ctx)
	total := 0
	for _, n := range dropped {
		total += n
	}
	if dbg != nil {
		_ = dbg.Close()
	}
	a.mu.Lock()
	stopPurge := a.stopPurge
	a.mu.Unlock()
	if stopPurge != nil {
		stopPurge()
	}
	a.closeStore()
	a.log.Info("registry stopped", "droppedEvents", total)
	return errors.Join(errs...)
}
