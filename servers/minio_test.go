package servers

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// TestMinIORestart: a stopped or killed server comes back on its address
// with its data.
func TestMinIORestart(t *testing.T) {
	m := MinIOForTest(t, "bkt")
	ctx := context.Background()
	c, err := m.Client()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, "bkt", "k", bytes.NewReader([]byte("v")), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, stop := range []func() error{m.Stop, m.Kill} {
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if m.Running() {
			t.Fatal("running after stop")
		}
		sctx, cancel := context.WithTimeout(ctx, time.Second) // no waiting through the client's retries
		_, err := c.StatObject(sctx, "bkt", "k", minio.StatObjectOptions{})
		cancel()
		if err == nil {
			t.Fatal("answered while stopped")
		}
		if err := m.Start(ctx); err != nil {
			t.Fatal(err)
		}
		obj, err := c.GetObject(ctx, "bkt", "k", minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(obj)
		if err != nil || string(b) != "v" {
			t.Fatalf("after restart: %q %v", b, err)
		}
	}
}

// TestMinIOBuildContext: a FROM scratch context with the binary.
func TestMinIOBuildContext(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(t.TempDir(), "minio")
	if err := os.WriteFile(bin, []byte("#!binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := MinIOBuildContext(dir, bin); err != nil {
		t.Fatal(err)
	}
	df, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil || !strings.HasPrefix(string(df), "FROM scratch\n") || !strings.Contains(string(df), `ENTRYPOINT ["/minio"]`) {
		t.Fatalf("Dockerfile %q %v", df, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "minio")); err != nil || string(b) != "#!binary" {
		t.Fatalf("binary %q %v", b, err)
	}
	for _, sub := range []string{"data", "certs"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			t.Fatalf("%s: %v", sub, err)
		}
	}
}

// TestMinIOBinaryBuildFails: a version that does not exist is an error
// naming the module, within the time bound, and caches nothing.
func TestMinIOBinaryBuildFails(t *testing.T) {
	t.Setenv("HOOKBENCH_MINIO_VERSION", "v0.0.0-20000101000000-000000000000")
	dir := t.TempDir()
	start := time.Now()
	_, err := MinIOBinary(context.Background(), WithCacheDir(dir), WithBuildTimeout(2*time.Minute))
	if err == nil || !strings.Contains(err.Error(), MinIOModule) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 2*time.Minute+10*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	if _, err := os.Stat(filepath.Join(dir, "minio")); !os.IsNotExist(err) {
		t.Fatalf("a failed build left a binary: %v", err)
	}
}
