// Package process is the harness runtime that runs the registry and the fake
// endpoints as child processes of built binaries, so that kill -9, restart
// and SIGSTOP are real.
package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	fake "github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/runtime"
)

// Binaries are the programs the runtime starts.
type Binaries struct {
	Registry     string // our cmd/registry
	FakeEndpoint string // cmd/fake-endpoint
}

// Build compiles ./cmd/registry and ./cmd/fake-endpoint of the module at
// moduleDir into outDir with `go build -o`; with programs named ("registry",
// "fake-endpoint") only those (a run against another registry needs only
// the fake).
func Build(ctx context.Context, moduleDir, outDir string, programs ...string) (Binaries, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Binaries{}, err
	}
	if len(programs) == 0 {
		programs = []string{"registry", "fake-endpoint"}
	}
	b := Binaries{Registry: filepath.Join(outDir, "registry"), FakeEndpoint: filepath.Join(outDir, "fake-endpoint")}
	for _, name := range programs {
		pkg, out := "./cmd/"+name, filepath.Join(outDir, name)
		if name != "registry" && name != "fake-endpoint" {
			return Binaries{}, fmt.Errorf("process: no program %q (registry, fake-endpoint)", name)
		}
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
		cmd.Dir = moduleDir
		if msg, err := cmd.CombinedOutput(); err != nil {
			return Binaries{}, fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
		}
	}
	return b, nil
}

// Runtime runs children on loopback ports.
type Runtime struct {
	bins Binaries
	dir  string // temp dir: configs, storage, logs

	mu        sync.Mutex
	endpoints map[string]*endpoint
	reg       *child
	regInfo   runtime.Registry
	spec      runtime.RegistrySpec
	args      []string
	path      string
}

type endpoint struct {
	proc    *child
	admin   string
	profile fake.Profile  // the starting profile, restored by StartEndpoint
	clean   *fake.Profile // the profile to restore on ClearNetworkFaults
}

// New returns a process runtime using bins; everything it makes lives in a
// temporary directory removed by Close.
func New(bins Binaries) (*Runtime, error) {
	dir, err := os.MkdirTemp("", "hookbench-process-")
	if err != nil {
		return nil, err
	}
	return &Runtime{bins: bins, dir: dir, endpoints: map[string]*endpoint{}}, nil
}

// Name implements runtime.Runtime.
func (r *Runtime) Name() string { return "process" }

// NewEndpoint starts a fake-endpoint process.
func (r *Runtime) NewEndpoint(ctx context.Context, spec runtime.EndpointSpec) (runtime.Endpoint, error) {
	addr, err := freeAddr()
	if err != nil {
		return runtime.Endpoint{}, err
	}
	admin, err := freeAddr()
	if err != nil {
		return runtime.Endpoint{}, err
	}
	profile, err := json.Marshal(spec.Profile)
	if err != nil {
		return runtime.Endpoint{}, err
	}
	args := []string{"--addr", addr, "--admin-addr", admin, "--profile", string(profile)}
	if spec.Receiver != "" {
		args = append(args, "--proxy", spec.Receiver)
	}
	c, err := r.start("endpoint-"+spec.Name, r.bins.FakeEndpoint, args, nil)
	if err != nil {
		return runtime.Endpoint{}, err
	}
	adminURL := "http://" + admin
	if err := waitHTTP(ctx, adminURL+"/healthz", c); err != nil {
		c.kill()
		return runtime.Endpoint{}, fmt.Errorf("fake endpoint %s: %w (log %s)", spec.Name, err, c.logPath)
	}
	r.mu.Lock()
	r.endpoints[spec.Name] = &endpoint{proc: c, admin: adminURL, profile: spec.Profile}
	r.mu.Unlock()
	return runtime.Endpoint{Name: spec.Name, RegistryURL: "http://" + addr + "/callback", AdminURL: adminURL}, nil
}

// StartRegistry renders the config and starts the registry binary.
func (r *Runtime) StartRegistry(ctx context.Context, spec runtime.RegistrySpec) (runtime.Registry, error) {
	if spec.HasFaults() {
		return runtime.Registry{}, runtime.Unsupported("process", "registry fault hooks", "they exist only in the in-process registry")
	}
	if spec.Image != nil {
		return runtime.Registry{}, runtime.Unsupported("process", "registry image", "use the docker runtime")
	}
	addr, err := freeAddr()
	if err != nil {
		return runtime.Registry{}, err
	}
	debug, err := freeAddr()
	if err != nil {
		return runtime.Registry{}, err
	}
	storage := filepath.Join(r.dir, "storage")
	cfg, err := runtime.RenderConfig(spec.ConfigTemplate, runtime.Addrs{Addr: addr, DebugAddr: debug, StorageDir: storage})
	if err != nil {
		return runtime.Registry{}, err
	}
	cfgPath := filepath.Join(r.dir, "config.yml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return runtime.Registry{}, err
	}
	path, args, own, single, noTag := r.bins.Registry, []string{"serve", cfgPath}, true, true, false
	var env []string
	if b := spec.Binary; b != nil {
		path, own, single, noTag, env = b.Path, b.OwnRegistry, b.SingleRequestUpload, b.NoTagQuery, b.Env
		if len(b.Args) > 0 {
			args = nil
			for _, a := range b.Args {
				args = append(args, strings.ReplaceAll(a, "{{config}}", cfgPath))
			}
		}
	}
	r.mu.Lock()
	r.spec, r.path, r.args = spec, path, args
	r.regInfo = runtime.Registry{URL: "http://" + addr, DebugURL: "http://" + debug, MetricsPath: "/metrics", SingleRequestUpload: single, NoTagQuery: noTag, OwnRegistry: own}
	r.mu.Unlock()
	if err := r.startRegistry(ctx, env); err != nil {
		return runtime.Registry{}, err
	}
	return r.regInfo, nil
}

func (r *Runtime) startRegistry(ctx context.Context, env []string) error {
	c, err := r.start("registry", r.path, r.args, env)
	if err != nil {
		return err
	}
	if err := waitHTTP(ctx, r.regInfo.URL+"/v2/", c); err != nil {
		c.kill()
		return fmt.Errorf("registry %s: %w (log %s)", r.path, err, c.logPath)
	}
	r.mu.Lock()
	r.reg = c
	r.mu.Unlock()
	return nil
}

// Registry implements runtime.Runtime.
func (r *Runtime) Registry() (runtime.Registry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.regInfo.URL == "" {
		return runtime.Registry{}, errors.New("process runtime: no registry started")
	}
	return r.regInfo, nil
}

func (r *Runtime) ep(name string) (*endpoint, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.endpoints[name]
	if !ok {
		return nil, fmt.Errorf("process runtime: no endpoint %q", name)
	}
	return e, nil
}

// StopEndpoint makes the fake stop listening (its refuse fault on top of
// its starting profile), keeping its ledger: killing the process would lose
// what it witnessed.
func (r *Runtime) StopEndpoint(ctx context.Context, name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	down := e.profile
	down.Refuse = true
	return fake.NewClient(e.admin).SetProfile(ctx, down)
}

// StartEndpoint restores the endpoint's profile, listening again on the same port.
func (r *Runtime) StartEndpoint(ctx context.Context, name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	return fake.NewClient(e.admin).SetProfile(ctx, e.profile)
}

// PauseEndpoint freezes the fake with SIGSTOP: the kernel still accepts
// connections, nothing answers.
func (r *Runtime) PauseEndpoint(_ context.Context, name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	return e.proc.cmd.Process.Signal(syscall.SIGSTOP)
}

// UnpauseEndpoint resumes it with SIGCONT.
func (r *Runtime) UnpauseEndpoint(_ context.Context, name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	return e.proc.cmd.Process.Signal(syscall.SIGCONT)
}

// NetworkFaults implements chaos.NetworkFaulter with what the fake itself
// can do on its connections (processes share loopback: no proxy, no cut).
func (r *Runtime) NetworkFaults() []chaos.FaultKind { return chaos.FakeNetworkFaults() }

// AddNetworkFault implements chaos.NetworkFaulter through the fake's admin
// API (chaos.WithFakeFault).
func (r *Runtime) AddNetworkFault(ctx context.Context, name string, nf chaos.NetworkFault) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	c := fake.NewClient(e.admin)
	cur, err := c.Profile(ctx)
	if err != nil {
		return err
	}
	p, err := chaos.WithFakeFault(cur, nf)
	if err != nil {
		return fmt.Errorf("process runtime: endpoint %s: %w", name, err)
	}
	r.mu.Lock()
	if e.clean == nil {
		e.clean = &cur
	}
	r.mu.Unlock()
	return c.SetProfile(ctx, p)
}

// ClearNetworkFaults implements chaos.NetworkFaulter: the profile from
// before the first fault comes back.
func (r *Runtime) ClearNetworkFaults(ctx context.Context, name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	r.mu.Lock()
	clean := e.clean
	e.clean = nil
	r.mu.Unlock()
	if clean == nil {
		return nil
	}
	return fake.NewClient(e.admin).SetProfile(ctx, *clean)
}

// KillRegistry sends SIGKILL.
func (r *Runtime) KillRegistry(context.Context) error {
	r.mu.Lock()
	c := r.reg
	r.reg = nil
	r.mu.Unlock()
	if c == nil {
		return errors.New("process runtime: registry not running")
	}
	c.kill()
	return nil
}

// RestartRegistry starts the registry again with the same config, ports and
// storage (killing it first if it runs).
func (r *Runtime) RestartRegistry(ctx context.Context) error {
	r.mu.Lock()
	c := r.reg
	r.reg = nil
	r.mu.Unlock()
	if c != nil {
		c.kill()
	}
	var env []string
	if r.spec.Binary != nil {
		env = r.spec.Binary.Env
	}
	return r.startRegistry(ctx, env)
}

// SaveLogs copies every child's log into dir.
func (r *Runtime) SaveLogs(_ context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	logs, _ := filepath.Glob(filepath.Join(r.dir, "*.log"))
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(l)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Close kills every child and removes the temp dir.
func (r *Runtime) Close(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reg != nil {
		r.reg.kill()
		r.reg = nil
	}
	for _, e := range r.endpoints {
		_ = e.proc.cmd.Process.Signal(syscall.SIGCONT)
		e.proc.kill()
	}
	r.endpoints = map[string]*endpoint{}
	return os.RemoveAll(r.dir)
}

type child struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	log     io.Closer
}

func (r *Runtime) start(name, path string, args, env []string) (*child, error) {
	logPath := filepath.Join(r.dir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	c := &child{cmd: cmd, logPath: logPath, done: make(chan struct{}), log: f}
	go func() { _ = cmd.Wait(); f.Close(); close(c.done) }()
	return c, nil
}

func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	<-c.done
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitHTTP(ctx context.Context, u string, c *child) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(runtime.DefaultStartTimeout)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		select {
		case <-c.done:
			return fmt.Errorf("exited before answering %s", u)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not answering after %s: %w", runtime.DefaultStartTimeout, err)
		}
	}
}

var (
	_ runtime.Runtime         = (*Runtime)(nil)
	_ runtime.LogSaver        = (*Runtime)(nil)
	_ runtime.LocalStorage    = (*Runtime)(nil)
	_ chaos.EndpointStopper   = (*Runtime)(nil)
	_ chaos.EndpointPauser    = (*Runtime)(nil)
	_ chaos.NetworkFaulter    = (*Runtime)(nil)
	_ chaos.RegistryKiller    = (*Runtime)(nil)
	_ chaos.RegistryRestarter = (*Runtime)(nil)
)
