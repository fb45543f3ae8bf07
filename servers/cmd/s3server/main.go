// Command s3server runs a MinIO server on loopback for scripts (e.g.
// scripts/conformance.sh with CONFORMANCE_STORAGE=s3): it builds MinIO on
// first use (cached), starts it with a fresh data directory, creates the
// bucket, prints one line
//
//	endpoint=http://127.0.0.1:PORT region=us-east-1 bucket=NAME
//
// and serves until SIGINT or SIGTERM, then stops MinIO and removes its data.
// Credentials come from MINIO_ROOT_USER and MINIO_ROOT_PASSWORD when set.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hookbench/hookbench/servers"
)

func main() {
	bucket := flag.String("bucket", "registry", "bucket to create")
	buildTimeout := flag.Duration("build-timeout", servers.DefaultBuildTimeout, "bound on building MinIO")
	flag.Parse()
	if err := run(*bucket, *buildTimeout); err != nil {
		fmt.Fprintln(os.Stderr, "s3server:", err)
		os.Exit(1)
	}
}

func run(bucket string, buildTimeout time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bin, err := servers.MinIOBinary(ctx, servers.WithBuildTimeout(buildTimeout), servers.WithBuildLog(os.Stderr))
	if err != nil {
		return err
	}
	opts := []servers.MinIOOption{servers.WithBinary(bin), servers.WithServerLog(os.Stderr)}
	if u, p := os.Getenv("MINIO_ROOT_USER"), os.Getenv("MINIO_ROOT_PASSWORD"); u != "" && p != "" {
		opts = append(opts, servers.WithCredentials(u, p))
	}
	m, err := servers.StartMinIO(ctx, opts...)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.CreateBucket(ctx, bucket); err != nil {
		return err
	}
	fmt.Printf("endpoint=%s region=%s bucket=%s\n", m.Endpoint, m.Region, bucket)
	<-ctx.Done()
	return nil
}
