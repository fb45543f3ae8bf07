package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/hookbench/hookbench/fakes/tokenissuer"
)

// Real clients against TLS and token auth. crane and oras are found on
// PATH or in GOPATH/bin, or installed with go install (pinned versions);
// with CI=true a missing client fails the test instead of skipping it.
const (
	cranePkg = "github.com/google/go-containerregistry/cmd/crane@v0.22.1"
	orasPkg  = "oras.land/oras/cmd/oras@v1.3.6"
)

var installMu sync.Mutex

func clientTool(t *testing.T, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		unavailable(t, "%s: go env GOPATH: %v", name, err)
	}
	bin := filepath.Join(strings.Split(strings.TrimSpace(string(out)), string(os.PathListSeparator))[0], "bin")
	path := filepath.Join(bin, name)
	installMu.Lock()
	defer installMu.Unlock()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", pkg)
	cmd.Env = append(os.Environ(), "GOBIN="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable(t, "%s: go install %s: %v\n%s", name, pkg, err, out)
	}
	return path
}

func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// secureRegistry is a registry served over TLS with token auth, its CA,
// its token issuer and a webhook receiver.
type secureRegistry struct {
	host    string // localhost:port (it listens on 127.0.0.1)
	caPath  string
	issuer  *tokenissuer.Issuer
	actors  func() map[string]int // push events per actor
	dir     string
	workDir string
}

func startSecureRegistry(t *testing.T) *secureRegistry {
	t.Helper()
	dir := t.TempDir()
	ca, err := tokenissuer.NewCA("hookbench test CA")
	if err != nil {
		t.Fatal(err)
	}
	caPath := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caPath, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Server("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := leaf.Write(dir, "server")
	if err != nil {
		t.Fatal(err)
	}
	grants := []string{"alice:repository:team/*:pull,push", "alice:registry:catalog:*", "bob:repository:team/*:pull"}
	opts := []tokenissuer.Option{tokenissuer.WithUser("alice", "alice-pw"), tokenissuer.WithUser("bob", "bob-pw")}
	for _, s := range grants {
		g, err := tokenissuer.ParseGrant(s)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, tokenissuer.WithGrant(g))
	}
	iss, err := tokenissuer.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	// Clients refuse an http realm for an https registry: the issuer
	// serves TLS too, with a certificate from the same CA.
	issSrv := httptest.NewUnstartedServer(iss)
	issCert, err := leaf.TLS()
	if err != nil {
		t.Fatal(err)
	}
	issSrv.TLS = &tls.Config{Certificates: []tls.Certificate{issCert}}
	issSrv.StartTLS()
	t.Cleanup(issSrv.Close)
	// Clients guard against SSRF through the realm: crane refuses a
	// loopback IP literal unless it is the registry's own host:port, oras
	// any loopback address unless the realm has the registry's hostname.
	// With the registry reached as localhost, a localhost realm passes both.
	realm := strings.Replace(issSrv.URL, "127.0.0.1", "localhost", 1) + "/token"
	bundle := filepath.Join(dir, "issuer.pem")
	if err := os.WriteFile(bundle, iss.RootCertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	actors := map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env struct {
			Events []struct {
				Action string
				Actor  struct{ Name string }
			}
		}
		if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, e := range env.Events {
			if e.Action == "push" {
				actors[e.Actor.Name]++
			}
		}
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)

	addr := freePort(t)
	yml := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
  draintimeout: 2s
  headers:
    X-Content-Type-Options: [nosniff]
  tls:
    certificate: %s
    key: %s
auth:
  token:
    realm: %s
    service: %s
    issuer: %s
    rootcertbundle: %s
notifications:
  endpoints:
    - name: hook
      url: %s/events
      backoff: 50ms
`, filepath.Join(dir, "data"), addr, cert, key, realm, iss.Service(), iss.Name(), bundle, rcv.URL)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", cfgPath}, nil, &logs, &logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("registry did not stop")
		}
		if t.Failed() {
			t.Log("registry log:\n" + logs.String())
		}
	})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsTo(ca)}, Timeout: 5 * time.Second}
	gomega.NewWithT(t).Eventually(func() (int, error) {
		resp, err := client.Get("https://" + addr + "/v2/")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}).WithTimeout(10*time.Second).Should(gomega.Equal(http.StatusUnauthorized), func() string { return logs.String() })

	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	return &secureRegistry{host: "localhost:" + port, caPath: caPath, issuer: iss, dir: dir, workDir: work, actors: func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for k, v := range actors {
			out[k] = v
		}
		return out
	}}
}

// env is the environment a client runs in: the test CA trusted (Go
// clients read SSL_CERT_FILE), its own docker config and home.
func (s *secureRegistry) env(t *testing.T) []string {
	home := t.TempDir()
	return append(os.Environ(), "SSL_CERT_FILE="+s.caPath, "DOCKER_CONFIG="+filepath.Join(home, ".docker"), "HOME="+home)
}

// run runs a client and returns its standard output; an error carries
// its standard error.
func (s *secureRegistry) run(t *testing.T, env []string, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Dir = s.workDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w: %s", err, stderr.String())
	}
	return stdout.String(), nil
}

func (s *secureRegistry) must(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	out, err := s.run(t, env, bin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return out
}

// layerTar writes a one-file tar (an image layer) and returns its path.
func layerTar(t *testing.T, dir, name, content string) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(content))
	tw.Close()
	p := filepath.Join(dir, "layer-"+name+".tar")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCraneAgainstTLSAndToken(t *testing.T) {
	crane := clientTool(t, "crane", cranePkg)
	s := startSecureRegistry(t)
	alice, bob := s.env(t), s.env(t)
	s.must(t, alice, crane, "auth", "login", s.host, "-u", "alice", "-p", "alice-pw")
	s.must(t, bob, crane, "auth", "login", s.host, "-u", "bob", "-p", "bob-pw")

	ref := s.host + "/team/crane:v1"
	layer := layerTar(t, s.dir, "hello.txt", "hello from crane")
	s.must(t, alice, crane, "append", "-f", layer, "-t", ref)
	dig := strings.TrimSpace(s.must(t, alice, crane, "digest", ref))
	if !strings.HasPrefix(dig, "sha256:") {
		t.Fatalf("digest %q", dig)
	}
	// bob may pull: the bytes and digest round-trip.
	out := filepath.Join(s.dir, "pulled.tar")
	s.must(t, bob, crane, "pull", ref, out)
	if got := strings.TrimSpace(s.must(t, bob, crane, "digest", ref)); got != dig {
		t.Fatalf("bob sees digest %q, alice pushed %q", got, dig)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
		t.Fatalf("pulled tarball: %v", err)
	}
	if tags := s.must(t, bob, crane, "ls", s.host+"/team/crane"); strings.TrimSpace(tags) != "v1" {
		t.Fatalf("tags %q", tags)
	}
	if cat := s.must(t, alice, crane, "catalog", s.host); !strings.Contains(cat, "team/crane") {
		t.Fatalf("catalog %q", cat)
	}
	// bob may not push, nor list the catalog, nor touch other repositories.
	if out, err := s.run(t, bob, crane, "tag", ref, "v2"); err == nil {
		t.Fatalf("bob pushed a tag:\n%s", out)
	}
	if out, err := s.run(t, bob, crane, "catalog", s.host); err == nil {
		t.Fatalf("bob listed the catalog:\n%s", out)
	}
	if out, err := s.run(t, alice, crane, "append", "-f", layer, "-t", s.host+"/elsewhere/x:v1"); err == nil {
		t.Fatalf("alice pushed outside her grant:\n%s", out)
	}
	// Without the CA, TLS verification fails.
	noCA := append(s.env(t), "SSL_CERT_FILE="+filepath.Join(s.dir, "issuer.pem")) // another CA
	if out, err := s.run(t, noCA, crane, "digest", ref); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate accepted: %v\n%s", err, out)
	}
	// Every push event names alice, the token's subject.
	gomega.NewWithT(t).Eventually(s.actors).WithTimeout(5 * time.Second).Should(gomega.And(
		gomega.HaveKey("alice"), gomega.HaveLen(1)))
}

func TestOrasAgainstTLSAndToken(t *testing.T) {
	oras := clientTool(t, "oras", orasPkg)
	s := startSecureRegistry(t)
	env := s.env(t)
	if err := os.WriteFile(filepath.Join(s.workDir, "note.txt"), []byte("hello from oras"), 0o600); err != nil {
		t.Fatal(err)
	}
	ref := s.host + "/team/oras:v1"
	// oras talks plain HTTP to localhost unless told otherwise.
	cred := func(user string) []string {
		return []string{"--plain-http=false", "--ca-file", s.caPath, "-u", user, "-p", user + "-pw"}
	}
	s.must(t, env, oras, append([]string{"push", ref, "--artifact-type", "application/vnd.hookbench.note", "note.txt:text/plain"}, cred("alice")...)...)
	outDir := filepath.Join(s.dir, "oras-out")
	s.must(t, env, oras, append([]string{"pull", ref, "-o", outDir}, cred("bob")...)...)
	if b, err := os.ReadFile(filepath.Join(outDir, "note.txt")); err != nil || string(b) != "hello from oras" {
		t.Fatalf("pulled %q %v", b, err)
	}
	if tags := s.must(t, env, oras, append([]string{"repo", "tags", s.host + "/team/oras"}, cred("bob")...)...); strings.TrimSpace(tags) != "v1" {
		t.Fatalf("tags %q", tags)
	}
	if out, err := s.run(t, env, oras, append([]string{"push", s.host + "/team/oras:v2", "note.txt:text/plain"}, cred("bob")...)...); err == nil {
		t.Fatalf("bob pushed:\n%s", out)
	}
	if out, err := s.run(t, env, oras, "pull", ref, "-o", outDir, "--plain-http=false", "--ca-file", s.caPath, "-u", "alice", "-p", "wrong"); err == nil {
		t.Fatalf("wrong password pulled:\n%s", out)
	}
	gomega.NewWithT(t).Eventually(s.actors).WithTimeout(5 * time.Second).Should(gomega.And(
		gomega.HaveKey("alice"), gomega.HaveLen(1)))
}

func tlsTo(ca *tokenissuer.CA) *tls.Config { return &tls.Config{RootCAs: ca.Pool()} }

// TestDockerAgainstTLSAndToken logs in, pushes and pulls with the docker
// CLI. The daemon reads /etc/docker/certs.d/<host:port>/ca.crt on every
// push, so the test CA is put there (and removed afterwards) without a
// daemon restart.
func TestDockerAgainstTLSAndToken(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		unavailable(t, "docker CLI not found: %v", err)
	}
	if out, err := exec.Command(docker, "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		unavailable(t, "docker engine not reachable: %v\n%s", err, out)
	}
	s := startSecureRegistry(t)
	_, port, _ := net.SplitHostPort(s.host)
	host := "127.0.0.1:" + port // the daemon resolves no test names; an IP works
	certsDir := filepath.Join("/etc/docker/certs.d", host)
	if err := os.MkdirAll(certsDir, 0o755); err != nil {
		unavailable(t, "cannot write %s: %v", certsDir, err)
	}
	t.Cleanup(func() {
		os.RemoveAll(certsDir)
		_ = os.Remove(filepath.Dir(certsDir)) // only if empty: ours or no one else's in use
	})
	ca, err := os.ReadFile(s.caPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certsDir, "ca.crt"), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	ref := host + "/team/docker:v1"
	t.Cleanup(func() { _ = exec.Command(docker, "image", "rm", "-f", ref).Run() })

	alice, bob := s.env(t), s.env(t)
	login := func(env []string, user, pw string) error {
		cmd := exec.Command(docker, "login", host, "-u", user, "--password-stdin")
		cmd.Env, cmd.Stdin = env, strings.NewReader(pw)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	if err := login(alice, "alice", "wrong"); err == nil {
		t.Fatal("docker login with a wrong password succeeded")
	}
	if err := login(alice, "alice", "alice-pw"); err != nil {
		t.Fatal(err)
	}
	if err := login(bob, "bob", "bob-pw"); err != nil {
		t.Fatal(err)
	}
	layer := layerTar(t, s.dir, "hello.txt", "hello from docker "+port)
	s.must(t, alice, docker, "import", layer, ref)
	s.must(t, alice, docker, "push", ref)
	id := strings.TrimSpace(s.must(t, alice, docker, "image", "inspect", "--format", "{{.Id}}", ref))
	s.must(t, alice, docker, "image", "rm", ref)
	s.must(t, bob, docker, "pull", ref)
	if got := strings.TrimSpace(s.must(t, bob, docker, "image", "inspect", "--format", "{{.Id}}", ref)); got != id {
		t.Fatalf("pulled image %s, pushed %s", got, id)
	}
	// bob's token has pull only: his push is refused.
	s.must(t, bob, docker, "tag", ref, host+"/team/docker:bob")
	t.Cleanup(func() { _ = exec.Command(docker, "image", "rm", "-f", host+"/team/docker:bob").Run() })
	if out, err := s.run(t, bob, docker, "push", host+"/team/docker:bob"); err == nil {
		t.Fatalf("bob pushed:\n%s", out)
	}
	gomega.NewWithT(t).Eventually(s.actors).WithTimeout(5 * time.Second).Should(gomega.And(
		gomega.HaveKey("alice"), gomega.HaveLen(1)))
}
