package servers

import (
	"context"
	"os"
	"testing"
)

// MinIOForTest starts a MinIO server for tb with a bucket, and stops it
// when tb ends. A binary that cannot be built skips tb with the reason,
// unless CI=true, where that fails tb: CI must run these tests. A server
// that builds but does not start always fails tb.
func MinIOForTest(tb testing.TB, bucket string, opts ...MinIOOption) *MinIO {
	tb.Helper()
	ctx := context.Background()
	bin, err := MinIOBinary(ctx)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("no MinIO binary (CI=true, so this fails): %v", err)
		}
		tb.Skipf("no MinIO binary, skipping (set CI=true to fail instead): %v", err)
	}
	m, err := StartMinIO(ctx, append([]MinIOOption{WithBinary(bin)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	if bucket != "" {
		if err := m.CreateBucket(ctx, bucket); err != nil {
			tb.Fatal(err)
		}
	}
	return m
}
