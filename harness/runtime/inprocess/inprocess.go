// Package inprocess is the default harness runtime: our registry
// (app) and the fake endpoints (fakes/endpoint) run as goroutines
// of the harness on 127.0.0.1 ports. It needs nothing but Go.
//
// What it can do honestly: stop and start an endpoint (the fake's refuse
// fault: its listener closes, connections are refused, and it listens again
// on the same port with its ledger kept), kill the registry (a shutdown with
// an expired context: nothing drained, the in-memory queue lost) and restart
// it on the same ports and storage. It cannot freeze a goroutine or cut a
// network, so it is no chaos.EndpointPauser nor chaos.Partitioner; its
// network faults are those the fake performs itself (latency, reset-peer,
// timeout).
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
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/runtime"
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
	faults    notifications.Faults
	info      runtime.Registry
}

type fake struct {
	srv     *endpoint.Server
	stopped *endpoint.Profile // the profile to restore on StartEndpoint
	clean   *endpoint.Profile // the profile to restore on ClearNetworkFaults
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

// Name implements runtime.Runtime.
func (r *Runtime) Name() string { return "inprocess" }

// NewEndpoint starts a fake endpoint on loopback.
func (r *Runtime) NewEndpoint(_ context.Context, spec runtime.EndpointSpec) (runtime.Endpoint, error) {
	if err := spec.Profile.Validate(); err != nil {
		return runtime.Endpoint{}, fmt.Errorf("endpoint %s: %w", spec.Name, err)
	}
	opts := []endpoint.Option{endpoint.WithProfile(spec.Profile), endpoint.WithLogger(r.log)}
	if spec.Receiver != "" {
		opts = append(opts, endpoint.WithProxy(spec.Receiver))
	}
	s := endpoint.New(opts...)
	if err := s.Start("127.0.0.1:0", "127.0.0.1:0"); err != nil {
		return runtime.Endpoint{}, fmt.Errorf("endpoint %s: %w", spec.Name, err)
	}
	r.mu.Lock()
	r.endpoints[spec.Name] = &fake{srv: s}
	r.mu.Unlock()
	return runtime.Endpoint{Name: spec.Name, RegistryURL: s.URL() + "/callback", AdminURL: s.AdminURL()}, nil
}

// StartRegistry starts our registry from the rendered config.
func (r *Runtime) StartRegistry(_ context.Context, spec runtime.RegistrySpec) (runtime.Registry, error) {
	if spec.Binary != nil {
		return runtime.Registry{}, runtime.Unsupported("inprocess", "registry binary", "use the process runtime")
	}
	if spec.Image != nil {
		return runtime.Registry{}, runtime.Unsupported("inprocess", "registry image", "use the docker runtime")
	}
	data, err := runtime.RenderConfig(spec.ConfigTemplate, runtime.Addrs{Addr: "127.0.0.1:0", DebugAddr: "127.0.0.1:0", StorageDir: r.dir})
	if err != nil {
		return runtime.Registry{}, err
	}
	cfg, warnings, err := config.Parse(data, nil)
	if err != nil {
		return runtime.Registry{}, fmt.Errorf("registry config: %w", err)
	}
	for _, w := range warnings {
		r.log.Warn("registry config", "warning", w)
	}
	r.mu.Lock()
	r.cfg, r.faults = cfg, spec.Faults
	r.mu.Unlock()
	if err := r.startApp(); err != nil {
		return runtime.Registry{}, err
	}
	return r.Registry()
}

func (r *Runtime) startApp() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	faults := r.faults
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
	r.info = runtime.Registry{URL: "http://" + a.Addr(), DebugURL: "http://" + a.DebugAddr(), MetricsPath: path, SingleRequestUpload: true, OwnRegistry: true}
	return nil
}

// Registry implements runtime.Runtime.
func (r *Runtime) Registry() (runtime.Registry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.info.URL == "" {
		return runtime.Registry{}, errors.New("inprocess runtime: no registry started")
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

// NetworkFaults implements chaos.NetworkFaulter with what the fake itself
// can do on its connections (no proxy runs in-process).
func (r *Runtime) NetworkFaults() []chaos.FaultKind { return chaos.FakeNetworkFaults() }

// AddNetworkFault implements chaos.NetworkFaulter: the fake's profile
// gains the fault (chaos.WithFakeFault).
func (r *Runtime) AddNetworkFault(_ context.Context, name string, nf chaos.NetworkFault) error {
	f, err := r.fake(name)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p, err := chaos.WithFakeFault(f.srv.Profile(), nf)
	if err != nil {
		return fmt.Errorf("inprocess runtime: endpoint %s: %w", name, err)
	}
	if f.clean == nil {
		c := f.srv.Profile()
		f.clean = &c
	}
	return f.srv.SetProfile(p)
}

// ClearNetworkFaults implements chaos.NetworkFaulter: the profile from
// before the first fault comes back.
func (r *Runtime) ClearNetworkFaults(_ context.Context, name string) error {
	f, err := r.fake(name)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.clean == nil {
		return nil
	}
	p := *f.clean
	f.clean = nil
	return f.srv.SetProfile(p)
}

// KillRegistry stops the registry without draining anything: pending
// in-memory events are lost, as with kill -9.
func (r *Runtime) KillRegistry(context.Context) error {
	r.mu.Lock()
	a := r.app
	r.app = nil
	r.mu.Unlock()
	if a == nil {
		return errors.New("inprocess runtime: registry not running")
	}
	_ = a.Shutdown(expired()) // nothing is drained
	return nil
}

// RestartRegistry starts a new registry with the same config, ports and storage.
func (r *Runtime) RestartRegistry(ctx context.Context) error {
	r.mu.Lock()
	running := r.app != nil
	r.mu.Unlock()
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

var (
	_ runtime.Runtime         = (*Runtime)(nil)
	_ runtime.LocalStorage    = (*Runtime)(nil)
	_ chaos.EndpointStopper   = (*Runtime)(nil)
	_ chaos.NetworkFaulter    = (*Runtime)(nil)
	_ chaos.RegistryKiller    = (*Runtime)(nil)
	_ chaos.RegistryRestarter = (*Runtime)(nil)
)

// expired is a context already done: a shutdown with it drains nothing.
func expired() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
