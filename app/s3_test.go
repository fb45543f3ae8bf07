package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/servers"
)

// TestS3Storage: storage.s3 from a config file serves pushes and pulls,
// and its secret key appears in no log line and not in /debug/vars.
func TestS3Storage(t *testing.T) {
	const secret = "s3-secret-value-xyz"
	m := servers.MinIOForTest(t, "registry", servers.WithCredentials("app-test", secret))
	yml := fmt.Sprintf(`version: 0.1
log:
  level: debug
storage:
  s3:
    region: %s
    regionendpoint: %s
    bucket: registry
    rootdirectory: /app
    accesskey: app-test
    secretkey: %s
http:
  addr: 127.0.0.1:0
  debug:
    addr: 127.0.0.1:0
notifications:
  endpoints:
    - name: r
      url: http://127.0.0.1:1/
`, m.Region, m.Endpoint, secret)
	cfg, _, err := config.Parse([]byte(yml), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a, err := New(cfg, WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		a.Shutdown(ctx)
	})

	content := []byte("a layer on s3")
	dg := digest.FromBytes(content)
	resp, err := http.Post("http://"+a.Addr()+"/v2/app/blobs/uploads/?digest="+string(dg), "application/octet-stream", bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("push: %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + a.Addr() + "/v2/app/blobs/" + string(dg))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, content) {
		t.Fatalf("pull: %d %q", resp.StatusCode, got)
	}

	resp, err = http.Get("http://" + a.DebugAddr() + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	vars, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(logs.String(), "storage=s3:registry/app") {
		t.Fatalf("the start line names no s3 storage:\n%s", logs.String())
	}
	for what, s := range map[string]string{"logs": logs.String(), "/debug/vars": string(vars)} {
		if strings.Contains(s, secret) {
			t.Fatalf("%s show the secret key", what)
		}
	}
}
