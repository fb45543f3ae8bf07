package docker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/moby/moby/api/types/container"
	mnetwork "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/runtime"
)

// Ports inside the containers.
const (
	registryPort  = "5000/tcp"
	debugPort     = "5001/tcp"
	receiverPort  = "8080/tcp"
	adminPort     = "8081/tcp"
	toxiproxyPort = "8474/tcp"
	// firstProxyPort is where the toxiproxy listens for the first endpoint
	// (http://sink-a:8080/callback); the next endpoints get 8081, 8082, ...
	firstProxyPort = 8080
	storageDir     = "/var/lib/registry"
	configPath     = "/etc/docker/registry/config.yml"
)

// Runtime runs one scenario in containers on a private network:
//
//	registry  --http://sink-a:8080/callback-->  toxiproxy (alias sink-a)  -->  fake endpoint (alias sink-a-direct)
//
// Every endpoint sits behind its own toxiproxy proxy, so the registry's path
// to a receiver can be refused (StopEndpoint), slowed or cut (network faults) while
// the receiver keeps its ledger. The harness reaches every admin API through
// host ports on 127.0.0.1.
type Runtime struct {
	cli    *client.Client
	images map[string]string
	id     string
	logf   func(string, ...any)
	tclog  tclog.Logger

	mu        sync.Mutex
	net       *testcontainers.DockerNetwork
	endpoints map[string]*endpoint
	order     []string
	tox       testcontainers.Container
	toxics    *toxiclient.Client
	reg       testcontainers.Container
	regInfo   runtime.Registry
	volume    string
	all       []namedContainer // every container started, for logs and Close
	closed    bool
	// logs read by Close before removing the containers, so a failed
	// spec's clean-up order does not matter to SaveLogs.
	logs map[string][]byte
}

type namedContainer struct {
	name string
	ctr  testcontainers.Container
}

type endpoint struct {
	name      string
	ctr       testcontainers.Container
	proxyPort int
	proxy     *toxiclient.Proxy
	front     *front
}

// Option configures a Runtime.
type Option func(*Runtime)

// WithLogf receives the runtime's progress messages.
func WithLogf(f func(string, ...any)) Option { return func(r *Runtime) { r.logf = f } }

// WithContainerLogger receives testcontainers' own messages about the
// containers (creating, started, ready, ...); without it they are
// dropped, so that a run's output is the harness's own.
func WithContainerLogger(l tclog.Logger) Option { return func(r *Runtime) { r.tclog = l } }

// New makes a runtime for one scenario with images from BuildImages. It
// creates the scenario's network; Close removes everything.
func New(ctx context.Context, images map[string]string, opts ...Option) (*Runtime, error) {
	for _, n := range []string{ImageRegistry, ImageFakeEndpoint, ImageToxiproxy} {
		if images[n] == "" {
			return nil, fmt.Errorf("docker runtime: no %s image (run BuildImages)", n)
		}
	}
	cli, err := newClient()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	r := &Runtime{cli: cli, images: images, id: hex.EncodeToString(b), logf: func(string, ...any) {}, tclog: tclog.NewNoopLogger(), endpoints: map[string]*endpoint{}}
	for _, o := range opts {
		o(r)
	}
	nw, err := tcnetwork.New(ctx, tcnetwork.WithLabels(map[string]string{LabelHookbench: r.id}))
	if err != nil {
		cli.Close()
		return nil, fmt.Errorf("docker runtime: network: %w", err)
	}
	r.net = nw
	return r, nil
}

// Name implements runtime.Runtime.
func (r *Runtime) Name() string { return "docker" }

// NetworkName is the scenario's docker network.
func (r *Runtime) NetworkName() string { return r.net.Name }

func (r *Runtime) labels(role string) map[string]string {
	return map[string]string{LabelHookbench: r.id, LabelHookbench + ".role": role}
}

// NewEndpoint implements runtime.Runtime: a fake-endpoint container
// (alias NAME-direct) behind a toxiproxy proxy the registry dials as NAME.
func (r *Runtime) NewEndpoint(ctx context.Context, spec runtime.EndpointSpec) (runtime.Endpoint, error) {
	r.mu.Lock()
	if r.reg != nil {
		r.mu.Unlock()
		return runtime.Endpoint{}, errors.New("docker runtime: endpoints must be created before the registry")
	}
	if _, dup := r.endpoints[spec.Name]; dup || spec.Name == "" {
		r.mu.Unlock()
		return runtime.Endpoint{}, fmt.Errorf("docker runtime: endpoint name %q empty or repeated", spec.Name)
	}
	port := firstProxyPort + len(r.order)
	r.mu.Unlock()

	profile, err := json.Marshal(spec.Profile)
	if err != nil {
		return runtime.Endpoint{}, err
	}
	cmd := []string{"--addr", ":8080", "--admin-addr", ":8081", "--profile", string(profile)}
	var hostModifier func(*container.HostConfig)
	if spec.Receiver != "" {
		cmd = append(cmd, "--proxy", spec.Receiver)
		// A receiver on this host is host.docker.internal from the
		// container, as Docker Desktop names it (Linux engines need the entry).
		hostModifier = func(hc *container.HostConfig) {
			hc.ExtraHosts = append(hc.ExtraHosts, "host.docker.internal:host-gateway")
		}
	}
	ctr, err := r.run(ctx, "endpoint-"+spec.Name, testcontainers.ContainerRequest{
		HostConfigModifier: hostModifier,
		Image:              r.images[ImageFakeEndpoint],
		Cmd:                cmd,
		ExposedPorts:       []string{adminPort},
		Labels:             r.labels("endpoint"),
		Networks:           []string{r.net.Name},
		NetworkAliases:     map[string][]string{r.net.Name: {directAlias(spec.Name)}},
		WaitingFor:         wait.ForHTTP("/healthz").WithPort(adminPort).WithStartupTimeout(runtime.DefaultStartTimeout),
	})
	if err != nil {
		return runtime.Endpoint{}, fmt.Errorf("docker runtime: endpoint %s: %w", spec.Name, err)
	}
	ep := &endpoint{name: spec.Name, ctr: ctr, proxyPort: port}
	ep.front, err = newFront(func(ctx context.Context) (string, error) { return hostURL(ctx, ctr, adminPort) })
	if err != nil {
		return runtime.Endpoint{}, err
	}
	r.mu.Lock()
	r.endpoints[spec.Name] = ep
	r.order = append(r.order, spec.Name)
	r.mu.Unlock()
	return runtime.Endpoint{
		Name:        spec.Name,
		RegistryURL: fmt.Sprintf("http://%s:%d/callback", spec.Name, port),
		AdminURL:    ep.front.URL(),
	}, nil
}

func directAlias(name string) string { return name + "-direct" }

// run starts a container and remembers it for logs and Close, also when
// the start fails half-way.
func (r *Runtime) run(ctx context.Context, name string, req testcontainers.ContainerRequest) (testcontainers.Container, error) {
	ctr, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true, Logger: r.tclog})
	if ctr != nil {
		r.mu.Lock()
		r.all = append(r.all, namedContainer{name: name, ctr: ctr})
		r.mu.Unlock()
	}
	return ctr, err
}

// startProxy starts the toxiproxy container, aliased as every endpoint, with
// one proxy per endpoint.
func (r *Runtime) startProxy(ctx context.Context) error {
	r.mu.Lock()
	names := append([]string(nil), r.order...)
	r.mu.Unlock()
	ctr, err := r.run(ctx, "toxiproxy", testcontainers.ContainerRequest{
		Image:          r.images[ImageToxiproxy],
		ExposedPorts:   []string{toxiproxyPort},
		Labels:         r.labels("toxiproxy"),
		Networks:       []string{r.net.Name},
		NetworkAliases: map[string][]string{r.net.Name: append([]string{"toxiproxy"}, names...)},
		WaitingFor:     wait.ForHTTP("/version").WithPort(toxiproxyPort).WithStartupTimeout(runtime.DefaultStartTimeout),
	})
	if err != nil {
		return fmt.Errorf("docker runtime: toxiproxy: %w", err)
	}
	url, err := hostURL(ctx, ctr, toxiproxyPort)
	if err != nil {
		return err
	}
	tc := toxiclient.NewClient(url)
	for _, n := range names {
		ep := r.endpoints[n]
		p, err := tc.CreateProxy(n, fmt.Sprintf("0.0.0.0:%d", ep.proxyPort), fmt.Sprintf("%s:8080", directAlias(n)))
		if err != nil {
			return fmt.Errorf("docker runtime: proxy for %s: %w", n, err)
		}
		if err := installToxics(p); err != nil {
			return fmt.Errorf("docker runtime: %w", err)
		}
		ep.proxy = p
	}
	r.mu.Lock()
	r.tox, r.toxics = ctr, tc
	r.mu.Unlock()
	return nil
}

// StartRegistry implements runtime.Runtime: our registry's image (or
// spec.Image, any registry's) with the rendered config, its storage on a
// named volume (kept across KillRegistry and RestartRegistry) and fixed
// host ports on 127.0.0.1.
func (r *Runtime) StartRegistry(ctx context.Context, spec runtime.RegistrySpec) (runtime.Registry, error) {
	if spec.Binary != nil {
		return runtime.Registry{}, runtime.Unsupported("docker", "registry binary", "the docker runtime runs images (RegistrySpec.Image)")
	}
	if spec.HasFaults() {
		return runtime.Registry{}, runtime.Unsupported("docker", "registry fault hooks", "they exist only in the in-process registry")
	}
	img := ourImage(r.images[ImageRegistry])
	if spec.Image != nil {
		if spec.Image.Image == "" {
			return runtime.Registry{}, errors.New("docker runtime: RegistrySpec.Image without an image reference")
		}
		img = spec.Image.WithDefaults()
	}
	if err := r.startProxy(ctx); err != nil {
		return runtime.Registry{}, err
	}
	cfg, err := runtime.RenderConfig(spec.ConfigTemplate, runtime.Addrs{Addr: fmt.Sprintf(":%d", img.APIPort), DebugAddr: fmt.Sprintf(":%d", img.DebugPort), StorageDir: storageDir})
	if err != nil {
		return runtime.Registry{}, err
	}
	// Our registry always serves its debug server; another's as its config says.
	debug := debugConf{on: true, metricsPath: "/metrics"}
	if spec.Image != nil {
		if debug, err = debugOf(cfg); err != nil {
			return runtime.Registry{}, err
		}
	}
	apiP, dbgP := fmt.Sprintf("%d/tcp", img.APIPort), fmt.Sprintf("%d/tcp", img.DebugPort)
	exposed := []string{apiP}
	if debug.on {
		exposed = append(exposed, dbgP)
	}
	vol := "hookbench-" + r.id + "-registry"
	if _, err := r.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: vol, Labels: r.labels("registry")}); err != nil {
		return runtime.Registry{}, fmt.Errorf("docker runtime: volume: %w", err)
	}
	r.mu.Lock()
	r.volume = vol
	r.mu.Unlock()
	apiPort, err := freePort()
	if err != nil {
		return runtime.Registry{}, err
	}
	dbgPort, err := freePort()
	if err != nil {
		return runtime.Registry{}, err
	}
	bindings := mnetwork.PortMap{
		mnetwork.MustParsePort(apiP): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(apiPort)}},
	}
	if debug.on {
		bindings[mnetwork.MustParsePort(dbgP)] = []mnetwork.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(dbgPort)}}
	}
	var waitFor wait.Strategy = wait.ForHTTP("/debug/health").WithPort(debugPort).WithStartupTimeout(runtime.DefaultStartTimeout)
	if spec.Image != nil {
		// Any registry answers GET /v2/ (200, or 401 with auth) once it serves.
		waitFor = wait.ForHTTP("/v2/").WithPort(apiP).WithStatusCodeMatcher(func(s int) bool { return s < 500 }).
			WithStartupTimeout(runtime.DefaultStartTimeout)
	}
	ctr, err := r.run(ctx, "registry", testcontainers.ContainerRequest{
		Image:        img.Image,
		Cmd:          img.Command(),
		Env:          envMap(img.Env),
		ExposedPorts: exposed,
		Labels:       r.labels("registry"),
		Networks:     []string{r.net.Name},
		NetworkAliases: map[string][]string{
			r.net.Name: {"registry"},
		},
		Files: []testcontainers.ContainerFile{{Reader: bytes.NewReader(cfg), ContainerFilePath: img.ConfigPath, FileMode: 0o644}},
		Mounts: testcontainers.ContainerMounts{
			testcontainers.VolumeMount(vol, testcontainers.ContainerMountTarget(storageDir)),
		},
		Tmpfs: map[string]string{"/tmp": "rw"},
		HostConfigModifier: func(hc *container.HostConfig) {
			// Fixed host ports: a restarted registry keeps its URLs, so
			// load running across KillRegistry/RestartRegistry goes on.
			hc.PortBindings = bindings
		},
		WaitingFor: waitFor,
	})
	if err != nil {
		return runtime.Registry{}, fmt.Errorf("docker runtime: registry: %w", err)
	}
	info := runtime.Registry{
		URL:                 fmt.Sprintf("http://127.0.0.1:%d", apiPort),
		SingleRequestUpload: img.SingleRequestUpload,
		NoTagQuery:          img.NoTagQuery,
		OwnRegistry:         spec.Image == nil,
	}
	if debug.on {
		info.DebugURL = fmt.Sprintf("http://127.0.0.1:%d", dbgPort)
		info.MetricsPath = debug.metricsPath
	}
	r.mu.Lock()
	r.reg, r.regInfo = ctr, info
	r.mu.Unlock()
	r.logf("docker: registry %s on %s (debug %s), network %s", img.Image, info.URL, info.DebugURL, r.net.Name)
	return info, nil
}

// Registry implements runtime.Runtime.
func (r *Runtime) Registry() (runtime.Registry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.regInfo.URL == "" {
		return runtime.Registry{}, errors.New("docker runtime: no registry started")
	}
	return r.regInfo, nil
}

func (r *Runtime) ep(name string) (*endpoint, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.endpoints[name]
	if !ok {
		return nil, fmt.Errorf("docker runtime: no endpoint %q", name)
	}
	return e, nil
}

func (r *Runtime) registry() (testcontainers.Container, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reg == nil {
		return nil, errors.New("docker runtime: no registry container (external registry or not started)")
	}
	return r.reg, nil
}

// StopEndpoint implements chaos.EndpointStopper: the proxy stops listening (the
// registry's connections are refused), the fake's ledger is saved, and its
// container is killed. StartEndpoint brings it back with the ledger merged.
func (r *Runtime) StopEndpoint(ctx context.Context, name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	if e.proxy == nil {
		return errors.New("docker runtime: registry not started")
	}
	if err := e.proxy.Disable(); err != nil {
		return fmt.Errorf("docker runtime: disable proxy %s: %w", name, err)
	}
	if err := e.front.snapshot(ctx); err != nil {
		return fmt.Errorf("docker runtime: save ledger of %s: %w", name, err)
	}
	zero := time.Duration(0)
	if err := e.ctr.Stop(ctx, &zero); err != nil {
		return fmt.Errorf("docker runtime: stop %s: %w", name, err)
	}
	return nil
}

// StartEndpoint implements chaos.EndpointStopper.
func (r *Runtime) StartEndpoint(ctx context.Context, name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	if e.proxy == nil {
		return errors.New("docker runtime: registry not started")
	}
	if err := e.ctr.Start(ctx); err != nil {
		return fmt.Errorf("docker runtime: start %s: %w", name, err)
	}
	if err := e.front.restarted(ctx); err != nil {
		return fmt.Errorf("docker runtime: endpoint %s after start: %w", name, err)
	}
	if err := e.proxy.Enable(); err != nil {
		return fmt.Errorf("docker runtime: enable proxy %s: %w", name, err)
	}
	return nil
}

// PauseEndpoint implements chaos.EndpointPauser: the fake's container is frozen
// (cgroup freezer); the proxy still accepts connections, nobody answers.
func (r *Runtime) PauseEndpoint(ctx context.Context, name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	_, err = r.cli.ContainerPause(ctx, e.ctr.GetContainerID(), client.ContainerPauseOptions{})
	return err
}

// UnpauseEndpoint implements chaos.EndpointPauser.
func (r *Runtime) UnpauseEndpoint(ctx context.Context, name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	_, err = r.cli.ContainerUnpause(ctx, e.ctr.GetContainerID(), client.ContainerUnpauseOptions{})
	return err
}

// Partition implements chaos.Partitioner: the fake's container is
// disconnected from the scenario network.
func (r *Runtime) Partition(ctx context.Context, name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	_, err = r.cli.NetworkDisconnect(ctx, r.net.ID, client.NetworkDisconnectOptions{Container: e.ctr.GetContainerID(), Force: true})
	return err
}

// Heal implements chaos.Partitioner: reconnects the fake with its alias.
func (r *Runtime) Heal(ctx context.Context, name string) error {
	e, err := r.ep(name)
	if err != nil {
		return err
	}
	_, err = r.cli.NetworkConnect(ctx, r.net.ID, client.NetworkConnectOptions{
		Container:      e.ctr.GetContainerID(),
		EndpointConfig: &mnetwork.EndpointSettings{Aliases: []string{directAlias(name)}},
	})
	if err != nil {
		return err
	}
	return e.front.restarted(ctx)
}

// KillRegistry implements chaos.RegistryKiller: SIGKILL, nothing drained.
func (r *Runtime) KillRegistry(ctx context.Context) error {
	reg, err := r.registry()
	if err != nil {
		return err
	}
	if _, err := r.cli.ContainerKill(ctx, reg.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return fmt.Errorf("docker runtime: kill registry: %w", err)
	}
	deadline := time.Now().Add(runtime.DefaultStartTimeout)
	for {
		st, err := reg.State(ctx)
		if err == nil && !st.Running {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("docker runtime: registry still running %s after SIGKILL", runtime.DefaultStartTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// RestartRegistry implements chaos.RegistryRestarter: the same container (config,
// volume, host ports) started again; after a KillRegistry it is a restart
// after a crash, otherwise a graceful stop (SIGTERM) comes first.
func (r *Runtime) RestartRegistry(ctx context.Context) error {
	reg, err := r.registry()
	if err != nil {
		return err
	}
	if reg.IsRunning() {
		st, err := reg.State(ctx)
		if err == nil && st.Running {
			timeout := 10 * time.Second
			if err := reg.Stop(ctx, &timeout); err != nil {
				return fmt.Errorf("docker runtime: stop registry: %w", err)
			}
		}
	}
	if err := reg.Start(ctx); err != nil {
		return fmt.Errorf("docker runtime: restart registry: %w", err)
	}
	return nil
}

// SaveLogs implements runtime.LogSaver: one file per container in dir.
func (r *Runtime) SaveLogs(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r.mu.Lock()
	logs := r.logs
	all := append([]namedContainer(nil), r.all...)
	r.mu.Unlock()
	var errs []error
	if logs == nil {
		logs, errs = readLogs(ctx, all)
	}
	for name, b := range logs {
		if err := os.WriteFile(filepath.Join(dir, name+".log"), b, 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func readLogs(ctx context.Context, all []namedContainer) (map[string][]byte, []error) {
	out := map[string][]byte{}
	var errs []error
	for _, c := range all {
		rc, err := c.ctr.Logs(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("logs of %s: %w", c.name, err))
			continue
		}
		b, err := io.ReadAll(io.LimitReader(rc, 16<<20))
		rc.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("logs of %s: %w", c.name, err))
		}
		out[c.name] = b
	}
	return out, errs
}

// Close implements runtime.Runtime: removes every container, the volume
// and the network. Safe to call twice.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	all := r.all
	vol := r.volume
	eps := r.endpoints
	r.mu.Unlock()
	logs, _ := readLogs(ctx, all)
	r.mu.Lock()
	r.logs = logs
	r.mu.Unlock()
	var errs []error
	for _, e := range eps {
		e.front.Close()
	}
	for _, c := range all {
		// A paused container cannot be removed by every engine: thaw first.
		_, _ = r.cli.ContainerUnpause(ctx, c.ctr.GetContainerID(), client.ContainerUnpauseOptions{})
		if err := c.ctr.Terminate(ctx, testcontainers.StopTimeout(0)); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", c.name, err))
		}
	}
	if vol != "" {
		if _, err := r.cli.VolumeRemove(ctx, vol, client.VolumeRemoveOptions{Force: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", vol, err))
		}
	}
	if r.net != nil {
		if err := r.net.Remove(ctx); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", r.net.Name, err))
		}
	}
	errs = append(errs, r.cli.Close())
	return errors.Join(errs...)
}

// hostURL is http://HOST:PORT of a container port published on the host.
func hostURL(ctx context.Context, ctr testcontainers.Container, port string) (string, error) {
	host, err := ctr.Host(ctx)
	if err != nil {
		return "", err
	}
	p, err := ctr.MappedPort(ctx, port)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("http://%s:%d", host, p.Num()), nil
}

// freePort finds a free loopback port for a fixed host port binding,
// below the kernel's ephemeral range: ports in that range are what the
// engine hands out for the other containers' published ports and what
// outgoing connections take as their local port, so a port that looks free
// there can be taken before the engine binds it ("port is already
// allocated", seen in a cluster run). Picked at random, so that harness
// processes running side by side rarely pick the same one; the kernel's
// any-port choice is the fallback.
func freePort() (int, error) {
	lo := ephemeralLow()
	const from = 10000
	if lo-from >= 1000 {
		for range 64 {
			p := from + mrand.IntN(lo-from)
			if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p))); err == nil {
				l.Close()
				return p, nil
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralLow is the low end of the kernel's ephemeral port range (the
// Linux default where it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if f := strings.Fields(string(b)); err == nil && len(f) == 2 {
		if lo, err := strconv.Atoi(f[0]); err == nil {
			return lo
		}
	}
	return 32768
}

var (
	_ runtime.Runtime         = (*Runtime)(nil)
	_ runtime.LogSaver        = (*Runtime)(nil)
	_ chaos.EndpointStopper   = (*Runtime)(nil)
	_ chaos.EndpointPauser    = (*Runtime)(nil)
	_ chaos.Partitioner       = (*Runtime)(nil)
	_ chaos.RegistryKiller    = (*Runtime)(nil)
	_ chaos.RegistryRestarter = (*Runtime)(nil)
	_ chaos.NetworkFaulter    = (*Runtime)(nil)
)
