package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/gomega"
	"golang.org/x/crypto/bcrypt"

	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/notifications"
)

// TestDiskFullPushFails: with a disk queue that cannot store an event,
// the push answers 503 with an OCI error body, never 201; the blob is
// stored all the same, and the retried push answers 201 and its event is
// delivered.
func TestDiskFullPushFails(t *testing.T) {
	g := gomega.NewWithT(t)
	rcv := newReceiver(t)
	yml := configFor(rcv.srv.URL) + "      queue:\n        kind: disk\n        path: " + filepath.Join(t.TempDir(), "q.db") + "\n"
	cfg, _, err := config.Parse([]byte(yml), nil)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	var full atomic.Bool
	full.Store(true)
	a, err := New(cfg, WithLogger(slog.New(slog.DiscardHandler)), WithNotifierOptions(notifications.WithWriteFaults(notifications.WriteFaults{
		Queue: func() error {
			if full.Load() {
				return errors.New("no space left on device")
			}
			return nil
		},
	})))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(a.Start()).To(gomega.Succeed())
	t.Cleanup(func() { _ = a.Shutdown(canceled()) })
	base := "http://" + a.Addr()

	blob := []byte("kept though its event was not")
	url := base + "/v2/r/blobs/uploads/?digest=" + digestOf(blob)
	resp, err := http.Post(url, "application/octet-stream", strings.NewReader(string(blob)))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(gomega.Equal(http.StatusServiceUnavailable))
	g.Expect(resp.Header.Get("Content-Type")).To(gomega.Equal("application/json"))
	var oci struct {
		Errors []struct{ Code, Message string }
	}
	g.Expect(json.Unmarshal(body, &oci)).To(gomega.Succeed())
	g.Expect(oci.Errors).To(gomega.HaveLen(1))
	g.Expect(oci.Errors[0].Code).To(gomega.Equal("UNAVAILABLE"))
	g.Expect(do(t, "HEAD", base+"/v2/r/blobs/"+digestOf(blob), nil).StatusCode).To(gomega.Equal(http.StatusOK), "the blob is stored")
	g.Expect(a.Notifier().Metrics()["hook"].Events).To(gomega.BeZero())

	full.Store(false)
	resp, err = http.Post(url, "application/octet-stream", strings.NewReader(string(blob)))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(gomega.Equal(http.StatusCreated))
	g.Eventually(func() []string {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		var pushes []string
		for _, e := range rcv.events {
			if e["action"] == "push" {
				pushes = append(pushes, fmt.Sprint(e["target"].(map[string]any)["digest"]))
			}
		}
		return pushes
	}).WithTimeout(5*time.Second).Should(gomega.Equal([]string{digestOf(blob)}), "the retried push's event, once")
}

// TestDebugAuthFromConfig: http.debug.auth keys protect /debug/vars and
// /metrics (basic or bearer), not /debug/health; a missing htpasswd file
// is an error naming the key.
func TestDebugAuthFromConfig(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	path := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(path, []byte("ops:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	token := "a-debug-token-of-some-length"
	yml := "version: 0.1\nlog:\n  level: error\nstorage:\n  inmemory:\nhttp:\n  addr: 127.0.0.1:0\n  debug:\n    addr: 127.0.0.1:0\n" +
		"    prometheus:\n      enabled: true\n    auth:\n      token: " + token + "\n      htpasswd:\n        path: " + path + "\n"
	a := startApp(t, yml)
	base := "http://" + a.DebugAddr()
	get := func(p string, set func(*http.Request)) int {
		req, _ := http.NewRequest("GET", base+p, nil)
		set(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	none := func(*http.Request) {}
	for _, p := range []string{"/debug/vars", "/metrics"} {
		if c := get(p, none); c != 401 {
			t.Errorf("%s without credentials: %d, want 401", p, c)
		}
		if c := get(p, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }); c != 200 {
			t.Errorf("%s with the token: %d, want 200", p, c)
		}
		if c := get(p, func(r *http.Request) { r.SetBasicAuth("ops", "pw") }); c != 200 {
			t.Errorf("%s with basic: %d, want 200", p, c)
		}
	}
	if c := get("/debug/health", none); c != 200 {
		t.Errorf("/debug/health: %d, want 200", c)
	}

	cfg := parse(t, strings.Replace(yml, path, path+".missing", 1))
	if _, err := New(cfg, WithLogger(slog.New(slog.DiscardHandler))); err == nil || !strings.HasPrefix(err.Error(), "http.debug.auth.htpasswd.path:") {
		t.Errorf("missing debug htpasswd: %v", err)
	}
}
