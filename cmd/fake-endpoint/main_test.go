package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"

	"github.com/onsi/gomega"
)

func TestHelpDocumentsEveryFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--help"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	help := out.String()
	for _, f := range []string{"-addr", "-admin-addr", "-ledger-cap", "-proxy", "-profile", "-profile-file", "-log-level", "-log-json", profileEnv,
		"/ledger", "/stats", "/fault", "/reset", "/healthz"} {
		if !strings.Contains(help, f) {
			t.Errorf("--help does not mention %s", f)
		}
	}
	// Every profile key of the JSON schema is documented.
	for _, k := range []string{"status", "sequence", "errorRate", "errorStatus", "seed", "failFirst", "failStatus", "latency", "hang",
		"reset", "refuse", "flap", "rules", "authorization", "secret", "signatureTolerance", "duplicate", "reorder"} {
		if !strings.Contains(help, "  "+k+" ") {
			t.Errorf("--help does not document profile key %s", k)
		}
	}
}

func TestBadInputExitsWithAClearError(t *testing.T) {
	for _, args := range [][]string{
		{"--profile", `{"status":"x"}`}, {"--nope"}, {"extra"}, {"--log-level", "loud"},
		{"--profile-file", "/does/not/exist"},
	} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if errOut.Len() == 0 {
			t.Errorf("%v: no message", args)
		}
	}
}

func TestInitialProfileSources(t *testing.T) {
	file := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(file, []byte(`{"status":502}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flag, file, env string
		want            int
		src             string
	}{
		{`{"status":501}`, file, `{"status":503}`, 501, "--profile"},
		{"", file, `{"status":503}`, 502, "--profile-file"},
		{"", "", `{"status":503}`, 503, profileEnv},
		{"", "", "", 0, "default"},
	} {
		p, src, err := initialProfile(tc.flag, tc.file, tc.env)
		if err != nil || p.Status != tc.want || !strings.HasPrefix(src, tc.src) {
			t.Errorf("%+v: got %d from %s (%v)", tc, p.Status, src, err)
		}
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServesAndStopsOnSIGTERM(t *testing.T) {
	addr, admin := freeAddr(t), freeAddr(t)
	var out, errOut syncBuf
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--addr", addr, "--admin-addr", admin, "--profile", `{"status":418}`}, &out, &errOut)
	}()
	c := endpoint.NewClient("http://" + admin)
	gomega.NewWithT(t).Eventually(func() error { return c.Healthz(context.Background()) }).
		WithTimeout(5*time.Second).Should(gomega.Succeed(), func() string { return "never healthy: " + errOut.String() })
	p, err := c.Profile(context.Background())
	if err != nil || p.Status != 418 {
		t.Fatalf("profile %+v %v", p, err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no clean exit after SIGTERM")
	}
	if !strings.Contains(errOut.String(), "stopped") {
		t.Fatalf("log: %s", errOut.String())
	}
}
