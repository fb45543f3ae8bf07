package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/hookbench/hookbench/registry"
	"github.com/hookbench/hookbench/registry/auth"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestIssuerProgram(t *testing.T) {
	dir := t.TempDir()
	bundle, jwks := filepath.Join(dir, "bundle.pem"), filepath.Join(dir, "jwks.json")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuf
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-service", "svc", "-issuer", "iss", "-user", "alice:pw",
			"-grant", "alice:repository:team/*:pull", "-rootcertbundle", bundle, "-jwks", jwks}, &out, &errOut)
	}()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	var realm string
	deadline := time.Now().Add(10 * time.Second)
	for realm == "" && time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			realm = m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("exited %d: %s", code, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if realm == "" {
		t.Fatal("no address printed")
	}
	req, _ := http.NewRequest("GET", realm+"?service=svc&scope=repository:team/app:pull,push", nil)
	req.SetBasicAuth("alice", "pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	for _, o := range []auth.TokenOptions{{RootCertBundle: bundle}, {JWKS: jwks}} {
		o.Realm, o.Service, o.Issuer = realm, "svc", "iss"
		v, err := auth.NewToken(o)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest("GET", "/v2/", nil)
		r.Header.Set("Authorization", "Bearer "+body.Token)
		if user, err := v.Authorized(r, registry.Access{Type: "repository", Name: "team/app", Action: "pull"}); err != nil || user != "alice" {
			t.Fatalf("%+v: %q %v", o, user, err)
		}
		if _, err := v.Authorized(r, registry.Access{Type: "repository", Name: "team/app", Action: "push"}); err == nil {
			t.Fatal("push granted without a grant")
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(bundle); err != nil {
		t.Fatal(err)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-user", "nopw"}, {"-grant", "x"}, {"-key-header", "y"}, {"-nope"}} {
		var out, errOut syncBuf
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}
