// Package servers builds and runs the third-party servers tests and
// cluster topologies need, from the Go module proxy, as static binaries:
// MinIO for S3 and nats-server for a JetStream cluster. Each runs as a
// local process (tests, the process runtime) or from a FROM scratch build
// context (the docker runtime); no image is ever pulled.
//
// MinIO is AGPL: it is only ever built with `go install` into a cache
// directory and run as its own process (or container); nothing here links
// or imports it.
package servers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// MinIO's module, and the version built unless HOOKBENCH_MINIO_VERSION
// names another (a cached binary is reused whatever its version).
const (
	MinIOModule  = "github.com/minio/minio"
	MinIOVersion = "latest"
)

// MinIO's test credentials and region unless options say otherwise.
const (
	DefaultAccessKey = "hookbench"
	DefaultSecretKey = "hookbench-secret"
	DefaultRegion    = "us-east-1"
)

// DefaultBuildTimeout bounds a MinIO build (about 2.5 minutes on 2 cores
// when nothing else runs).
const DefaultBuildTimeout = 10 * time.Minute

// CacheDir is where built servers are kept: $HOOKBENCH_CACHE, or
// hookbench/bin under the user's cache directory ($HOME/.cache).
func CacheDir() (string, error) {
	if dir := os.Getenv("HOOKBENCH_CACHE"); dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("servers: no cache directory: %w", err)
	}
	return filepath.Join(base, "hookbench", "bin"), nil
}

// BuildOption configures MinIOBinary.
type BuildOption func(*buildOptions)

type buildOptions struct {
	cacheDir string
	timeout  time.Duration
	log      io.Writer
}

// WithCacheDir builds into (and reuses from) dir instead of CacheDir().
func WithCacheDir(dir string) BuildOption { return func(o *buildOptions) { o.cacheDir = dir } }

// WithBuildTimeout bounds the build (default DefaultBuildTimeout).
func WithBuildTimeout(d time.Duration) BuildOption { return func(o *buildOptions) { o.timeout = d } }

// WithBuildLog receives the go command's output (default: kept only for
// the error).
func WithBuildLog(w io.Writer) BuildOption { return func(o *buildOptions) { o.log = w } }

// MinIOBinary returns the path of a static MinIO server binary, building
// it on first use with `CGO_ENABLED=0 go install github.com/minio/minio@...`
// into the cache directory. Concurrent callers (other test processes
// included) wait for one build under a file lock.
func MinIOBinary(ctx context.Context, opts ...BuildOption) (string, error) {
	o := buildOptions{timeout: DefaultBuildTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.cacheDir == "" {
		dir, err := CacheDir()
		if err != nil {
			return "", err
		}
		o.cacheDir = dir
	}
	bin := filepath.Join(o.cacheDir, "minio")
	if isExecutable(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(o.cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("servers: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(o.cacheDir, ".minio.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if isExecutable(bin) { // built while we waited
		return bin, nil
	}
	version := os.Getenv("HOOKBENCH_MINIO_VERSION")
	if version == "" {
		version = MinIOVersion
	}
	gobin, err := os.MkdirTemp(o.cacheDir, ".build-minio-")
	if err != nil {
		return "", fmt.Errorf("servers: %w", err)
	}
	defer os.RemoveAll(gobin)
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	var out strings.Builder
	cmd := exec.CommandContext(ctx, goCommand(), "install", MinIOModule+"@"+version)
	cmd.Dir = gobin // outside any module or workspace
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOBIN="+gobin, "GOWORK=off", "GOFLAGS=-mod=mod")
	var w io.Writer = &out
	if o.log != nil {
		w = io.MultiWriter(&out, o.log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	start := time.Now()
	if err := cmd.Run(); err != nil {
		tail := out.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w after %v", ctx.Err(), time.Since(start).Round(time.Second))
		}
		return "", fmt.Errorf("servers: go install %s@%s: %v\n%s", MinIOModule, version, err, tail)
	}
	if err := os.Rename(filepath.Join(gobin, "minio"), bin); err != nil {
		return "", fmt.Errorf("servers: %w", err)
	}
	return bin, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// goCommand is $GO, or the go next to the running toolchain, or go on PATH.
func goCommand() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// lockFile takes an exclusive flock on path, polling so ctx can end the wait.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("servers: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("servers: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("servers: waiting for another MinIO build: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// MinIO is a MinIO server process on loopback. Stop and Start it again to
// simulate an outage: it comes back on the same address with the same data.
type MinIO struct {
	Addr      string // 127.0.0.1:port
	Endpoint  string // http://127.0.0.1:port
	AccessKey string
	SecretKey string
	Region    string

	bin     string
	dir     string
	tempDir bool
	log     io.Writer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// MinIOOption configures StartMinIO.
type MinIOOption func(*MinIO)

// WithBinary runs bin instead of building or reusing the cached binary.
func WithBinary(bin string) MinIOOption { return func(m *MinIO) { m.bin = bin } }

// WithDataDir keeps the data in dir (default: a temp dir removed by Close).
func WithDataDir(dir string) MinIOOption { return func(m *MinIO) { m.dir = dir } }

// WithServerLog receives MinIO's output (default: discarded).
func WithServerLog(w io.Writer) MinIOOption { return func(m *MinIO) { m.log = w } }

// WithCredentials sets the root user (the secret must be 8+ characters).
func WithCredentials(access, secret string) MinIOOption {
	return func(m *MinIO) { m.AccessKey, m.SecretKey = access, secret }
}

// StartMinIO starts a MinIO server on a free loopback port and waits until
// /minio/health/live answers. Without WithBinary the binary comes from
// MinIOBinary (built on first use; that can take minutes).
func StartMinIO(ctx context.Context, opts ...MinIOOption) (*MinIO, error) {
	m := &MinIO{AccessKey: DefaultAccessKey, SecretKey: DefaultSecretKey, Region: DefaultRegion, log: io.Discard}
	for _, o := range opts {
		o(m)
	}
	if m.bin == "" {
		bin, err := MinIOBinary(ctx)
		if err != nil {
			return nil, err
		}
		m.bin = bin
	}
	if m.dir == "" {
		dir, err := os.MkdirTemp("", "hookbench-minio-")
		if err != nil {
			return nil, fmt.Errorf("servers: %w", err)
		}
		m.dir, m.tempDir = dir, true
	}
	var err error
	for range 3 { // a free port can be taken between probe and listen
		if m.Addr, err = freePort(); err != nil {
			break
		}
		m.Endpoint = "http://" + m.Addr
		if err = m.Start(ctx); err == nil {
			return m, nil
		}
	}
	m.Close()
	return nil, err
}

func freePort() (string, error) {
	ports, err := freePorts(1)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", ports[0]), nil
}

// Start (re)starts the server on its address and data directory, and
// waits until it is live. It does nothing if the server is running.
func (m *MinIO) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return nil
	}
	cmd := exec.Command(m.bin, "server", m.dir, "--address", m.Addr, "--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+m.AccessKey,
		"MINIO_ROOT_PASSWORD="+m.SecretKey,
		"MINIO_SITE_REGION="+m.Region,
		"MINIO_BROWSER=off", // no console, so no second port
		"MINIO_UPDATE=off",
	)
	cmd.Stdout, cmd.Stderr = m.log, m.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("servers: start minio: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	m.cmd, m.done = cmd, done
	if err := m.waitLive(ctx, done); err != nil {
		m.stopLocked(syscall.SIGKILL)
		return err
	}
	return nil
}

// waitLive polls /minio/health/live until it answers 200, the process
// exits, or 60 s (or ctx) pass.
func (m *MinIO) waitLive(ctx context.Context, done <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.Endpoint+"/minio/health/live", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-done:
			return fmt.Errorf("servers: minio exited before it was live (address %s)", m.Addr)
		case <-ctx.Done():
			return fmt.Errorf("servers: minio not live at %s: %w", m.Endpoint, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Running reports whether the server process is up.
func (m *MinIO) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cmd != nil
}

// Stop ends the server (SIGTERM, then SIGKILL after 10 s) and keeps its
// data for Start.
func (m *MinIO) Stop() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stopLocked(syscall.SIGTERM)
}

// Kill ends the server at once (SIGKILL), keeping its data.
func (m *MinIO) Kill() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stopLocked(syscall.SIGKILL)
}

func (m *MinIO) stopLocked(sig syscall.Signal) error {
	if m.cmd == nil {
		return nil
	}
	cmd, done := m.cmd, m.done
	m.cmd, m.done = nil, nil
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
	}
	_ = cmd.Process.Kill()
	<-done
	return nil
}

// Close stops the server and removes a data directory it created.
func (m *MinIO) Close() error {
	err := m.Stop()
	if m.tempDir && m.dir != "" {
		err = errors.Join(err, os.RemoveAll(m.dir))
	}
	return err
}

// Client is a minio-go client for the server (for test set-up).
func (m *MinIO) Client() (*minio.Client, error) {
	return minio.New(m.Addr, &minio.Options{
		Creds:  credentials.NewStaticV4(m.AccessKey, m.SecretKey, ""),
		Region: m.Region,
	})
}

// CreateBucket makes a bucket (no error if it exists).
func (m *MinIO) CreateBucket(ctx context.Context, name string) error {
	c, err := m.Client()
	if err != nil {
		return err
	}
	err = c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: m.Region})
	if err != nil {
		if r := minio.ToErrorResponse(err); r.Code == "BucketAlreadyOwnedByYou" || r.Code == "BucketAlreadyExists" {
			return nil
		}
		return fmt.Errorf("servers: create bucket %s: %w", name, err)
	}
	return nil
}

// MinIOBuildContext writes a docker build context to dir for an offline
// FROM scratch MinIO image: the static binary and a Dockerfile. The image
// serves S3 on :9000 from /data; credentials come from MINIO_ROOT_USER and
// MINIO_ROOT_PASSWORD at run time. The binary is hard-linked when it can
// be (it is 150 MB), else copied.
func MinIOBuildContext(dir, bin string) error {
	for _, sub := range []string{"data", "certs"} { // scratch has no mkdir: COPY empty directories
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("servers: %w", err)
		}
	}
	dst := filepath.Join(dir, "minio")
	os.Remove(dst)
	if err := os.Link(bin, dst); err != nil {
		if err := copyFile(bin, dst); err != nil {
			return fmt.Errorf("servers: %w", err)
		}
	}
	const dockerfile = `FROM scratch
COPY minio /minio
COPY data /data
COPY certs /certs
ENV MINIO_BROWSER=off MINIO_UPDATE=off HOME=/data
EXPOSE 9000
HEALTHCHECK NONE
ENTRYPOINT ["/minio"]
CMD ["server", "/data", "--address", ":9000", "--certs-dir", "/certs", "--quiet"]
`
	return os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
