package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/registry/storage/filesystem"

	"github.com/onsi/gomega"
)

// receiver is a webhook endpoint that records every event it is sent.
type receiver struct {
	mu     sync.Mutex
	events []map[string]any
	srv    *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var env struct{ Events []map[string]any }
		if err := json.NewDecoder(req.Body).Decode(&env); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		r.mu.Lock()
		r.events = append(r.events, env.Events...)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func parse(t *testing.T, yml string) *config.Config {
	t.Helper()
	cfg, _, err := config.Parse([]byte(yml), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startApp(t *testing.T, yml string) *App {
	t.Helper()
	cfg, warnings, err := config.Parse([]byte(yml), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Fatalf("warnings: %q", warnings)
	}
	a, err := New(cfg, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	return a
}

func configFor(webhook string) string {
	return fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  inmemory:
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
  debug:
    addr: 127.0.0.1:0
    prometheus:
      enabled: true
notifications:
  endpoints:
    - name: hook
      url: %s/callback
      timeout: 1s
      threshold: 3
      backoff: 50ms
`, webhook)
}

func do(t *testing.T, method, url string, body []byte, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func digestOf(b []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(b)) }

// push uploads one blob (POST then PUT) and a manifest referencing it as
// config and layer, by tag.
func push(t *testing.T, base, repo string) {
	t.Helper()
	blob := []byte(`{"architecture":"amd64","os":"linux"}`)
	resp := do(t, "POST", base+"/v2/"+repo+"/blobs/uploads/", nil)
	if resp.StatusCode != 202 {
		t.Fatalf("POST upload: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "http") {
		loc = base + loc
	}
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	resp = do(t, "PUT", loc+sep+"digest="+digestOf(blob), blob, "Content-Type", "application/octet-stream")
	if resp.StatusCode != 201 {
		t.Fatalf("PUT upload: %d", resp.StatusCode)
	}
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`,
		digestOf(blob), len(blob))
	resp = do(t, "PUT", base+"/v2/"+repo+"/manifests/v1", []byte(manifest), "Content-Type", "application/vnd.oci.image.manifest.v1+json")
	if resp.StatusCode != 201 {
		t.Fatalf("PUT manifest: %d", resp.StatusCode)
	}
}

type metrics struct{ Pending, Events, Successes, Failures, Errors int }

func vars(t *testing.T, debugAddr string) []metrics {
	t.Helper()
	resp, err := http.Get("http://" + debugAddr + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Registry struct {
			Notifications struct {
				Endpoints []struct{ Metrics metrics }
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	var out []metrics
	for _, e := range v.Registry.Notifications.Endpoints {
		out = append(out, e.Metrics)
	}
	return out
}

// eventually awaits cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	gomega.NewWithT(t).Eventually(cond).WithTimeout(5*time.Second).Should(gomega.BeTrue(), "waiting for %s", what)
}

func TestPushDeliversEventsAndCountsThem(t *testing.T) {
	rcv := newReceiver(t)
	a := startApp(t, configFor(rcv.srv.URL))
	push(t, "http://"+a.Addr(), "team/app")

	eventually(t, "2 events at the receiver", func() bool { return rcv.count() == 2 })
	eventually(t, "Events 2, Successes 2, Pending 0", func() bool {
		m := vars(t, a.DebugAddr())
		return len(m) == 1 && m[0] == metrics{Events: 2, Successes: 2}
	})
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for i, e := range rcv.events {
		if e["action"] != "push" {
			t.Errorf("event %d action = %v", i, e["action"])
		}
		src, _ := e["source"].(map[string]any)
		if src["instanceID"] != a.InstanceID() {
			t.Errorf("event %d source = %v, want instanceID %s", i, src, a.InstanceID())
		}
	}

	resp, err := http.Get("http://" + a.DebugAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `registry_notifications_events_total{endpoint="hook",type="Successes"} 2`) {
		t.Errorf("metrics lack 2 successes:\n%.2000s", body)
	}
	if code := do(t, "GET", "http://"+a.DebugAddr()+"/debug/health", nil).StatusCode; code != 200 {
		t.Errorf("health = %d", code)
	}
}

func TestTwoAppsInOneProcess(t *testing.T) {
	r1, r2 := newReceiver(t), newReceiver(t)
	a1 := startApp(t, configFor(r1.srv.URL))
	a2 := startApp(t, configFor(r2.srv.URL))
	push(t, "http://"+a1.Addr(), "one")
	eventually(t, "a1 delivered", func() bool { return r1.count() == 2 })
	eventually(t, "a1 counters", func() bool { m := vars(t, a1.DebugAddr()); return m[0].Successes == 2 })
	if m := vars(t, a2.DebugAddr()); m[0] != (metrics{}) {
		t.Errorf("a2 counters moved: %+v", m[0])
	}
	if r2.count() != 0 {
		t.Errorf("a2's receiver got %d events", r2.count())
	}
	// Storage is separate too.
	if code := do(t, "GET", "http://"+a2.Addr()+"/v2/one/manifests/v1", nil).StatusCode; code != 404 {
		t.Errorf("a2 serves a1's manifest: %d", code)
	}
}

func TestShutdownFreesPortsAndRestartsOnThem(t *testing.T) {
	dir := t.TempDir()
	yml := "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: " + dir +
		"\nhttp:\n  addr: 127.0.0.1:0\n  debug:\n    addr: 127.0.0.1:0\n"
	cfg, _, err := config.Parse([]byte(yml), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	push(t, "http://"+a.Addr(), "keep")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = a.Shutdown(ctx) // as a kill: nothing drained
	if err := a.Start(); err == nil {
		t.Error("Start after Shutdown succeeded")
	}

	cfg.HTTP.Addr, cfg.HTTP.Debug.Addr = a.Addr(), a.DebugAddr()
	b, err := New(cfg, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatalf("restart on the same ports: %v", err)
	}
	defer b.Shutdown(context.Background())
	if code := do(t, "GET", "http://"+b.Addr()+"/v2/keep/manifests/v1", nil).StatusCode; code != 200 {
		t.Errorf("manifest after restart: %d", code)
	}
}

func TestShutdownWaitsForInFlightRequests(t *testing.T) {
	cfg, _, err := config.Parse([]byte("version: 0.1\nstorage:\n  inmemory:\nhttp:\n  addr: 127.0.0.1:0\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	inner := a.handler
	a.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		inner.ServeHTTP(w, r)
	})
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	// A monolithic upload whose body arrives slowly is in flight when
	// Shutdown starts; it must complete, not be cut off.
	pr, pw := io.Pipe()
	blob := []byte("in flight")
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+a.Addr()+"/v2/slow/blobs/uploads/?digest="+digestOf(blob), pr)
		req.ContentLength = int64(len(blob))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	_, _ = pw.Write(blob[:3])
	<-entered
	shut := make(chan error, 1)
	go func() { shut <- a.Shutdown(context.Background()) }()
	// Once the listener refuses connections Shutdown is under way; only
	// then does the rest of the body arrive.
	eventually(t, "listener closed", func() bool {
		c, err := net.Dial("tcp", a.Addr())
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	_, _ = pw.Write(blob[3:])
	pw.Close()
	if code := <-done; code != 201 && code != 202 {
		t.Errorf("in-flight request answered %d", code)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func TestHtpasswd(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	path := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(path, []byte("alice:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, "version: 0.1\nlog:\n  level: error\nstorage:\n  inmemory:\nhttp:\n  addr: 127.0.0.1:0\nauth:\n  htpasswd:\n    realm: test\n    path: "+path+"\n")
	resp := do(t, "GET", "http://"+a.Addr()+"/v2/", nil)
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `realm="test"`) {
		t.Errorf("no credentials: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	req, _ := http.NewRequest("GET", "http://"+a.Addr()+"/v2/", nil)
	req.SetBasicAuth("alice", "pw")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 200 {
		t.Errorf("with credentials: %d", r2.StatusCode)
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct{ name, yml, want string }{
		{"missing htpasswd file", "version: 0.1\nstorage:\n  inmemory:\nauth:\n  htpasswd:\n    path: /nonexistent/htpasswd\n", "auth.htpasswd.path"},
		{"unusable root", "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /dev/null/x\n", "storage.filesystem.rootdirectory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := config.Parse([]byte(tc.yml), nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = New(cfg, WithLogger(slog.New(slog.DiscardHandler)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := New(nil); err == nil {
		t.Error("nil config accepted")
	}
}

func TestStartAddressInUse(t *testing.T) {
	a := startApp(t, "version: 0.1\nlog:\n  level: error\nstorage:\n  inmemory:\nhttp:\n  addr: 127.0.0.1:0\n")
	cfg, _, _ := config.Parse([]byte("version: 0.1\nstorage:\n  inmemory:\nhttp:\n  addr: "+a.Addr()+"\n"), nil)
	b, err := New(cfg, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err == nil || !strings.Contains(err.Error(), "http.addr") {
		t.Errorf("err = %v, want http.addr in use", err)
	}
}

// TestFilesystemDirectWrites: storage.filesystem.directwrites reaches the
// driver: on by default, off when set false.
func TestFilesystemDirectWrites(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want bool
	}{{"", true}, {"    directwrites: true\n", true}, {"    directwrites: false\n", false}} {
		yml := "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " + t.TempDir() + "\n" + tc.key
		cfg, _, err := config.Parse([]byte(yml), nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := newStorage(cfg.Storage)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := s.(*filesystem.Driver)
		if !ok {
			t.Fatalf("newStorage gave %T", s)
		}
		if d.DirectWrites() != tc.want {
			t.Errorf("%q: DirectWrites() = %v, want %v", tc.key, d.DirectWrites(), tc.want)
		}
		d.Close()
	}
}
