package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, nil, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "registry ") {
		t.Errorf("--version: %d %q", code, out.String())
	}
	if code := run(context.Background(), nil, nil, &out, &errb); code != 2 {
		t.Errorf("no args: %d", code)
	}
	if code := run(context.Background(), []string{"bogus"}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "bogus"`) {
		t.Errorf("bogus: %d %q", code, errb.String())
	}
	if code := run(context.Background(), []string{"serve"}, nil, &out, &errb); code != 2 {
		t.Errorf("serve without config: %d", code)
	}
}

func TestServeBadConfigNamesKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(path, []byte("version: 0.1\nstorage:\n  inmemory:\nhttp:\n  addr: nowhere\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"serve", path}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "http.addr") {
		t.Errorf("code %d, stderr %q", code, errb.String())
	}
}

func TestDevConfigLoads(t *testing.T) {
	var errb bytes.Buffer
	// Bad addr via env proves the file was read and then overridden.
	code := run(context.Background(), []string{"serve", "config-dev.yml"}, []string{"REGISTRY_HTTP_ADDR=bad"}, &errb, &errb)
	if code != 1 || !strings.Contains(errb.String(), `http.addr: "bad"`) {
		t.Errorf("code %d, %q", code, errb.String())
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServeUntilCanceled(t *testing.T) {
	addr := freePort(t)
	path := filepath.Join(t.TempDir(), "config.yml")
	yml := "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " + filepath.Join(t.TempDir(), "data") + "\nhttp:\n  draintimeout: 2s\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", path}, []string{"REGISTRY_HTTP_ADDR=" + addr}, &logs, &logs)
	}()

	var resp *http.Response
	gomega.NewWithT(t).Eventually(func() (err error) {
		resp, err = http.Get("http://" + addr + "/v2/")
		return err
	}).WithTimeout(5*time.Second).Should(gomega.Succeed(), func() string { return "registry did not come up:\n" + logs.String() })
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Docker-Distribution-API-Version") != "registry/2.0" {
		t.Errorf("/v2/: %d", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d\n%s", code, logs.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after the signal")
	}
	if _, err := http.Get("http://" + addr + "/v2/"); err == nil {
		t.Error("still listening after shutdown")
	}
}
