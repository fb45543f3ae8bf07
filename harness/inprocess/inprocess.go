// Package inprocess is the default harness runtime: our registry
// (app) and the fake endpoints (fakes/endpoint) run as goroutines
// of the harness on 127.0.0.1 ports. It needs nothing but Go.
//
// What it can do honestly: stop and start an endpoint (the fake's refuse
// fault: its listener closes, connections are refused, and it listens again
// on the same port with its ledger kept), kill the registry (a shutdown with
// an expired context: nothing drained, the in-memory queue lost) and restart
// it on the same ports and storage. It cannot freeze a goroutine or cut a
// network: pause and partition are unsupported.
package inprocess

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/hookbench/hookbench/app"
	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/notifications"
)

// Option configures a Runtime.
type Option func(*Runtime)

// WithLogger sets the logger of the registry and endpoints (default: discard).
func WithLogger(l *slog.Logger) Option { return func(r *Runtime) { r.log = l } }

// Runtime runs everything in this process.
type Runtime struct {
	log *slog.Logger
	dir string

	mu        sync.Mutex
	endpoints map[string]*fake
	app       *app.App
	cfg       *config.Config
	faults    harness.Faults
	info      harness.Registry
	external  bool
}

type fake struct {
	srv     *endpoint.Server
	stopped *endpoint.Profile // the profile to restore on StartEndpoint
}

// New returns an in-process runtime; Close removes its temp storage.
func New(opts ...Option) (*Runtime, error) {
	dir, err := os.MkdirTemp("", "hookbench-inprocess-")
	if err != nil {
		return nil, err
	}
	r := &Runtime{dir: dir, endpoints: map[string]*fake{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// Name implements harness.Runtime.
func (r *Runtime) Name() string { return "inprocess" }

// Capabilities implements harness.Runtime.
func (r *Runtime) Capabilities() harness.Capabilities {
	r.mu.Lock()
	defer r.mu.Unlock()
	return harness.Capabilities{StopEndpoint: true, KillRegistry: !r.external, RestartRegistry: !r.external, OwnRegistry: !r.external}
}

// NewEndpoint starts a fake endpoint on loopback.
func (r *Runtime) NewEndpoint(_ context.Context, spec harness.EndpointSpec) (harness.Endpoint, error) {
	var p endpoint.Profile
	if len(spec.Profile) > 0 {
		var err error
		if p, err = endpoint.ParseProfile(spec.Profile); err != nil {
			return harness.Endpoint{}, fmt.Errorf("endpoint %s: profile: %w", spec.Name, err)
		}
	}
	s := endpoint.New(endpoint.WithProfile(p), endpoint.WithLogger(r.log))
	if err := s.Start("127.0.0.1:0", "127.0.0.1:0"); err != nil {
		return harness.Endpoint{}, fmt.Errorf("endpoint %s: %w", spec.Name, err)
	}
	r.mu.Lock()
	r.endpoints[spec.Name] = &fake{srv: s}
	r.mu.Unlock()
	return harness.Endpoint{Name: spec.Name, RegistryURL: s.URL() + "/callback", AdminURL: s.AdminURL()}, nil
}

// StartRegistry starts our registry from the rendered config, or records an
// external registry's URLs.
func (r *Runtime) StartRegistry(ctx context.Context, spec harness.RegistrySpec) (harness.Registry, error) {
	if spec.Binary != nil {
		return harness.Registry{}, harness.Unsupported("inprocess", "registry binary", "use the process runtime")
	}
	if e := spec.External; e != nil {
		if spec.Faults.Any() {
			return harness.Registry{}, harness.Unsupported("inprocess", "fault hooks", "the registry is external")
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.external = true
		r.info = harness.Registry{URL: e.URL, DebugURL: e.DebugURL, MetricsPath: e.MetricsPath, SingleRequestUpload: e.SingleRequestUpload}
		return r.info, nil
	}
	data, err := harness.RenderConfig(spec.ConfigTemplate, harness.Addrs{Addr: "127.0.0.1:0", DebugAddr: "127.0.0.1:0", StorageDir: r.dir})
	if err != nil {
		return harness.Registry{}, err
	}
	cfg, warnings, err := config.Parse(data, nil)
	if err != nil {
		return harness.Registry{}, fmt.Errorf("registry config: %w", err)
	}
	for _, w := range warnings {
		r.log.Warn("registry config", "warning", w)
	}
	r.mu.Lock()
	r.cfg, r.faults = cfg, spec.Faults
	r.mu.Unlock()
	if err := r.startApp(); err != nil {
		return harness.Registry{}, err
	}
	return r.Registry()
}

func (r *Runtime) startApp() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.faults
	faults := notifications.Faults{DropOneIn: f.DropOneIn, ForgetPendingDecrement: f.ForgetPendingDecrement, CountFailureAsSuccess: f.CountFailureAsSuccess}
	a, err := app.New(r.cfg, app.WithLogger(r.log), app.WithNotifierOptions(notifications.WithFaults(faults)))
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	// A killed App's listeners close asynchronously (its serve goroutines
	// close them), so a restart on the same ports may briefly find them busy.
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := a.Start()
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			return fmt.Errorf("registry: %w", err)
		}
		time.Sleep(20 * time.Millisecond) // polling for the port with a deadline
		_ = a.Shutdown(expired())         // release the unstarted App's notifier
		if a, err = app.New(r.cfg, app.WithLogger(r.log), app.WithNotifierOptions(notifications.WithFaults(faults))); err != nil {
			return fmt.Errorf("registry: %w", err)
		}
	}
	// A restart comes back on the same ports.
	r.cfg.HTTP.Addr, r.cfg.HTTP.Debug.Addr = a.Addr(), a.DebugAddr()
	r.app = a
	path := ""
	if r.cfg.HTTP.Debug.Prometheus.Enabled {
		path = r.cfg.HTTP.Debug.Prometheus.Path
		if path == "" {
			path = "/metrics"
		}
	}
	r.info = harness.Registry{URL: "http://" + a.Addr(), DebugURL: "http://" + a.DebugAddr(), MetricsPath: path, SingleRequestUpload: true, OwnRegistry: true}
	return nil
}

// Registry implements harness.Runtime.
func (r *Runtime) Registry() (harness.Registry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.info.URL == "" {
		return harness.Registry{}, errors.New("inprocess runtime: no registry started")
	}
	return r.info, nil
}

func (r *Runtime) fake(name string) (*fake, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.endpoints[name]
	if !ok {
		return nil, fmt.Errorf("inprocess runtime: no endpoint %q", name)
	}
	return f, nil
}

// StopEndpoint switches on the fake's refuse fault (its listener closes)
// and remembers the profile it had.
func (r *Runtime) StopEndpoint(_ context.Context, name string) error {
	f, err := r.fake(name)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.stopped == nil {
		p := f.srv.Profile()
		f.stopped = &p
	}
	down := *f.stopped
	down.Refuse = true
	return f.srv.SetProfile(down)
}

// StartEndpoint restores the profile it had: it listens again on the same port.
func (r *Runtime) StartEndpoint(_ context.Context, name string) error {
	f, err := r.fake(name)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.stopped == nil {
		return nil // not stopped
	}
	p := *f.stopped
	f.stopped = nil
	return f.srv.SetProfile(p)
}

// PauseEndpoint is unsupported: a goroutine cannot be frozen from outside.
func (r *Runtime) PauseEndpoint(context.Context, string) error {
	return harness.Unsupported("inprocess", "pause endpoint", "goroutines cannot be frozen; use the process or docker runtime")
}

// UnpauseEndpoint is unsupported, as PauseEndpoint.
func (r *Runtime) UnpauseEndpoint(context.Context, string) error {
	return harness.Unsupported("inprocess", "unpause endpoint", "goroutines cannot be frozen")
}

// Partition is unsupported: everything shares loopback.
func (r *Runtime) Partition(context.Context, string) error {
	return harness.Unsupported("inprocess", "partition", "everything shares the loopback network; use the docker runtime")
}

// Heal is unsupported, as Partition.
func (r *Runtime) Heal(context.Context, string) error {
	return harness.Unsupported("inprocess", "heal", "everything shares the loopback network")
}

// KillRegistry stops the registry without draining anything: pending
// in-memory events are lost, as with kill -9.
func (r *Runtime) KillRegistry(context.Context) error {
	r.mu.Lock()
	a, ext := r.app, r.external
	r.app = nil
	r.mu.Unlock()
	if ext {
		return harness.Unsupported("inprocess", "kill registry", "the registry is external")
	}
	if a == nil {
		return errors.New("inprocess runtime: registry not running")
	}
	_ = a.Shutdown(expired()) // nothing is drained
	return nil
}

// RestartRegistry starts a new registry with the same config, ports and storage.
func (r *Runtime) RestartRegistry(ctx context.Context) error {
	r.mu.Lock()
	ext, running := r.external, r.app != nil
	r.mu.Unlock()
	if ext {
		return harness.Unsupported("inprocess", "restart registry", "the registry is external")
	}
	if running {
		if err := r.KillRegistry(ctx); err != nil {
			return err
		}
	}
	return r.startApp()
}

// Close stops the registry (in-flight requests get 500ms) and every endpoint.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	a := r.app
	r.app = nil
	eps := r.endpoints
	r.endpoints = map[string]*fake{}
	r.mu.Unlock()
	var errs []error
	if a != nil {
		// Pending events of a finished run are not worth waiting for.
		sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		_ = a.Shutdown(sctx)
		cancel()
	}
	for _, f := range eps {
		// A listener already closed (refuse, flap) is not a failure to close.
		if err := f.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, os.RemoveAll(r.dir))
	return errors.Join(errs...)
}

var _ harness.Runtime = (*Runtime)(nil)

// expired is a context already done: a shutdown with it drains nothing.
func expired() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
