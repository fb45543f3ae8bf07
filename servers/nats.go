package servers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// NATSVersion is the nats-server release built and run.
const NATSVersion = "v2.15.3"

const natsModule = "github.com/nats-io/nats-server/v2"

// NATSServer returns the path of a static nats-server NATSVersion binary
// for this machine, building it with `go install` (about 20 s, needs the
// Go module proxy) when the cache does not hold it yet.
func NATSServer(ctx context.Context) (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	return natsServerIn(ctx, dir, runtime.GOOS, runtime.GOARCH)
}

// NATSServerFor is NATSServer for another platform, e.g. linux for an
// image built on a Mac.
func NATSServerFor(ctx context.Context, goos, goarch string) (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	return natsServerIn(ctx, dir, goos, goarch)
}

func natsServerIn(ctx context.Context, dir, goos, goarch string) (string, error) {
	name := "nats-server-" + NATSVersion
	if goos != runtime.GOOS || goarch != runtime.GOARCH {
		name += "-" + goos + "-" + goarch
	}
	bin := filepath.Join(dir, name)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("servers: %w", err)
	}
	// Build into a private folder, then rename: concurrent test processes
	// never see (or run) a half-written binary.
	tmp, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return "", fmt.Errorf("servers: %w", err)
	}
	defer os.RemoveAll(tmp)
	gobin := "go"
	if g := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(g) {
		gobin = g
	}
	cmd := exec.CommandContext(ctx, gobin, "install", "-trimpath", "-ldflags=-s -w", natsModule+"@"+NATSVersion)
	cmd.Dir = tmp // outside any module: install exactly the release
	env := append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if goos == runtime.GOOS && goarch == runtime.GOARCH {
		env = append(env, "GOBIN="+tmp)
	} else {
		// go install refuses GOBIN for a cross build: it goes to
		// GOPATH/bin/GOOS_GOARCH, with the module cache kept where it is.
		env = append(env, "GOBIN=", "GOPATH="+tmp, "GOMODCACHE="+goEnv(gobin, "GOMODCACHE"))
	}
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("servers: building nats-server: go install %s@%s: %w\n%s", natsModule, NATSVersion, err, out)
	}
	built := filepath.Join(tmp, "nats-server")
	if !fileExists(built) {
		built = filepath.Join(tmp, "bin", goos+"_"+goarch, "nats-server")
	}
	if err := os.Rename(built, bin); err != nil {
		return "", fmt.Errorf("servers: %w", err)
	}
	return bin, nil
}

func goEnv(gobin, key string) string {
	out, err := exec.Command(gobin, "env", key).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// NATSDockerfile is the FROM scratch image of nats-server: client port
// 4222, cluster routes 6222, monitoring 8222; the command line (or a
// config file mounted at /etc/nats/nats.conf) says the rest.
const NATSDockerfile = "FROM scratch\nCOPY nats-server /nats-server\nEXPOSE 4222 6222 8222\n" +
	"ENTRYPOINT [\"/nats-server\"]\nCMD [\"-c\", \"/etc/nats/nats.conf\"]\n"

// NATSBuildContext writes a docker build context for a nats-server image
// into dir: the Dockerfile and the static linux binary (built or taken
// from the cache). The image needs nothing pulled.
func NATSBuildContext(ctx context.Context, dir string) error {
	bin, err := NATSServerFor(ctx, "linux", runtime.GOARCH)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("servers: %w", err)
	}
	if err := copyFile(bin, filepath.Join(dir, "nats-server")); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(NATSDockerfile), 0o644); err != nil {
		return fmt.Errorf("servers: %w", err)
	}
	return nil
}

// NATSClusterConfig is the nats.conf of node i of an n-node JetStream
// cluster whose nodes are reachable as host(j) (e.g. container names), with
// the standard ports inside a container. Written for the docker runtime.
func NATSClusterConfig(i, n int, host func(j int) string) string {
	var routes []string
	for j := range n {
		if j != i {
			routes = append(routes, fmt.Sprintf("nats-route://%s:6222", host(j)))
		}
	}
	return natsConf(natsNodeName(i), "0.0.0.0:4222", "0.0.0.0:8222", "0.0.0.0:6222", "/data", routes)
}

func natsNodeName(i int) string { return fmt.Sprintf("n%d", i) }

func natsConf(name, listen, monitor, cluster, storeDir string, routes []string) string {
	quoted := make([]string, len(routes))
	for i, r := range routes {
		quoted[i] = fmt.Sprintf("%q", r)
	}
	conf := fmt.Sprintf(`server_name: %q
listen: %q
http: %q
jetstream {
  store_dir: %q
  max_memory_store: 64MB
  max_file_store: 1GB
}
`, name, listen, monitor, storeDir)
	if len(routes) == 0 {
		return conf // a single node: JetStream refuses a cluster of one
	}
	return conf + fmt.Sprintf(`cluster {
  name: "hookbench"
  listen: %q
  routes: [%s]
}
`, cluster, strings.Join(quoted, ", "))
}

// NATSCluster is a JetStream cluster of nats-server processes on loopback,
// each with its own store folder.
type NATSCluster struct {
	bin   string
	dir   string
	nodes []*natsNode
}

type natsNode struct {
	name                  string
	client, monitor, mesh int // ports
	conf                  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// StartNATSCluster starts n nats-server processes (bin, from NATSServer)
// clustered on loopback with JetStream, under dir (e.g. t.TempDir()), and
// returns once every node reports healthy (JetStream up, meta leader known)
// or ctx is done. Close stops them.
func StartNATSCluster(ctx context.Context, bin, dir string, n int) (*NATSCluster, error) {
	if n < 1 {
		return nil, errors.New("servers: a NATS cluster needs at least one node")
	}
	ports, err := freePorts(3 * n)
	if err != nil {
		return nil, err
	}
	c := &NATSCluster{bin: bin, dir: dir}
	for i := range n {
		c.nodes = append(c.nodes, &natsNode{name: natsNodeName(i),
			client: ports[3*i], monitor: ports[3*i+1], mesh: ports[3*i+2]})
	}
	for i, nd := range c.nodes {
		var routes []string
		for j, other := range c.nodes {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", other.mesh))
			}
		}
		store := filepath.Join(dir, nd.name)
		if err := os.MkdirAll(store, 0o700); err != nil {
			return nil, fmt.Errorf("servers: %w", err)
		}
		nd.conf = filepath.Join(dir, nd.name+".conf")
		conf := natsConf(nd.name, fmt.Sprintf("127.0.0.1:%d", nd.client), fmt.Sprintf("127.0.0.1:%d", nd.monitor),
			fmt.Sprintf("127.0.0.1:%d", nd.mesh), store, routes)
		if err := os.WriteFile(nd.conf, []byte(conf), 0o600); err != nil {
			return nil, fmt.Errorf("servers: %w", err)
		}
	}
	for i := range c.nodes {
		if err := c.Start(i); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := c.WaitHealthy(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// URLs are the client URLs of every node (nats://127.0.0.1:port).
func (c *NATSCluster) URLs() []string {
	out := make([]string, len(c.nodes))
	for i, nd := range c.nodes {
		out[i] = fmt.Sprintf("nats://127.0.0.1:%d", nd.client)
	}
	return out
}

// Names are the nodes' server names (n0, n1, ...), as JetStream reports
// them (e.g. a stream's leader).
func (c *NATSCluster) Names() []string {
	out := make([]string, len(c.nodes))
	for i, nd := range c.nodes {
		out[i] = nd.name
	}
	return out
}

// Index is the node named name, or -1.
func (c *NATSCluster) Index(name string) int {
	for i, nd := range c.nodes {
		if nd.name == name {
			return i
		}
	}
	return -1
}

// Start (re)starts node i with its store as it was left.
func (c *NATSCluster) Start(i int) error {
	nd := c.nodes[i]
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.cmd != nil {
		return fmt.Errorf("servers: NATS node %s is running", nd.name)
	}
	log, err := os.OpenFile(filepath.Join(c.dir, nd.name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("servers: %w", err)
	}
	cmd := exec.Command(c.bin, "-c", nd.conf)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("servers: starting nats-server %s: %w", nd.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(done) }()
	nd.cmd, nd.done = cmd, done
	return nil
}

// Kill stops node i with SIGKILL (no goodbye to its peers) and waits for
// the process to be gone.
func (c *NATSCluster) Kill(i int) error { return c.signal(i, syscall.SIGKILL) }

// Stop stops node i gracefully (SIGTERM) and waits for it to exit.
func (c *NATSCluster) Stop(i int) error { return c.signal(i, syscall.SIGTERM) }

func (c *NATSCluster) signal(i int, sig os.Signal) error {
	nd := c.nodes[i]
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.cmd == nil {
		return nil
	}
	if err := nd.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("servers: signalling %s: %w", nd.name, err)
	}
	select {
	case <-nd.done:
	case <-time.After(10 * time.Second):
		_ = nd.cmd.Process.Kill()
		<-nd.done
	}
	nd.cmd = nil
	return nil
}

// Running reports whether node i's process is up.
func (c *NATSCluster) Running(i int) bool {
	nd := c.nodes[i]
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.cmd != nil
}

// WaitHealthy waits until every running node answers /healthz with 200
// (JetStream enabled and in contact with a meta leader).
func (c *NATSCluster) WaitHealthy(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second}
	for i, nd := range c.nodes {
		if !c.Running(i) {
			continue
		}
		url := fmt.Sprintf("http://127.0.0.1:%d/healthz", nd.monitor)
		for {
			resp, err := client.Get(url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("servers: NATS node %s not healthy (log in %s): %w",
					nd.name, filepath.Join(c.dir, nd.name+".log"), ctx.Err())
			case <-nd.done:
				return fmt.Errorf("servers: NATS node %s exited (log in %s)", nd.name, filepath.Join(c.dir, nd.name+".log"))
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	// Healthy nodes may not know each other yet: JetStream then places no
	// replicated stream ("no suitable peers"). Wait until the meta leader
	// sees every running node current.
	for !c.metaComplete(client) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("servers: NATS meta leader does not see every running node current: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// metaComplete reports whether a running node is the meta leader and
// sees every other running node as a current, online peer.
func (c *NATSCluster) metaComplete(client *http.Client) bool {
	for i, nd := range c.nodes {
		if !c.Running(i) {
			continue
		}
		var jsz struct {
			Meta struct {
				Leader   string `json:"leader"`
				Replicas []struct {
					Name    string `json:"name"`
					Current bool   `json:"current"`
					Offline bool   `json:"offline"`
				} `json:"replicas"`
			} `json:"meta_cluster"`
		}
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/jsz", nd.monitor))
		if err != nil {
			continue
		}
		err = json.NewDecoder(resp.Body).Decode(&jsz)
		resp.Body.Close()
		if err != nil || jsz.Meta.Leader != nd.name {
			continue
		}
		current := map[string]bool{}
		for _, r := range jsz.Meta.Replicas {
			current[r.Name] = r.Current && !r.Offline
		}
		for j, other := range c.nodes {
			if j != i && c.Running(j) && !current[other.name] {
				return false
			}
		}
		return true
	}
	return len(c.nodes) == 1 && c.Running(0) // a single node has no meta group
}

// Close stops every node (SIGTERM, then SIGKILL after a while). The store
// folders stay: they belong to whoever made dir.
func (c *NATSCluster) Close() {
	var wg sync.WaitGroup
	for i := range c.nodes {
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Stop(i) }()
	}
	wg.Wait()
}

// freePorts finds n distinct free TCP ports on loopback. They are free
// when checked; a server started right after almost always gets them.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	out := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("servers: finding a free port: %w", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// TB is the part of testing.TB the test helpers use.
type TB interface {
	Helper()
	TempDir() string
	Cleanup(func())
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// NATSClusterForTest starts an n-node cluster for one test and stops it
// after. Without a nats-server (it cannot be built: no module proxy) the
// test is skipped with the reason, except with CI=true, where it fails:
// CI must never count a skipped cluster test as passed.
func NATSClusterForTest(t TB, n int) *NATSCluster {
	t.Helper()
	bin := NATSServerForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := StartNATSCluster(ctx, bin, t.TempDir(), n)
	if err != nil {
		t.Fatalf("starting a %d-node NATS cluster: %v", n, err)
	}
	t.Cleanup(c.Close)
	return c
}

// NATSServerForTest is NATSServer for a test: skipped with the reason
// when it cannot be had, failed instead with CI=true.
func NATSServerForTest(t TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin, err := NATSServer(ctx)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nats-server %s is required with CI=true: %v", NATSVersion, err)
		}
		t.Skipf("no nats-server %s (set CI=true to make this a failure): %v", NATSVersion, err)
	}
	return bin
}
