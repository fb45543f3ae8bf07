package servers

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A 3-node cluster comes up healthy, survives losing a node, and takes
// the node back with its store.
func TestNATSCluster(t *testing.T) {
	c := NATSClusterForTest(t, 3)
	if got := len(c.URLs()); got != 3 {
		t.Fatalf("URLs: got %d, want 3", got)
	}
	for _, u := range c.URLs() {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := net.DialTimeout("tcp", pu.Host, time.Second)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		conn.Close()
	}
	if err := c.Kill(1); err != nil {
		t.Fatal(err)
	}
	if c.Running(1) {
		t.Fatal("node 1 still running after Kill")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.WaitHealthy(ctx); err != nil {
		t.Fatalf("two nodes left: %v", err)
	}
	if err := c.Start(1); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHealthy(ctx); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if c.Index("n2") != 2 || c.Index("nx") != -1 {
		t.Fatalf("Index: %d %d", c.Index("n2"), c.Index("nx"))
	}
}

// The docker build context holds a FROM scratch Dockerfile and the binary.
func TestNATSBuildContext(t *testing.T) {
	NATSServerForTest(t) // skips (or fails on CI) the same way without a server
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := NATSBuildContext(ctx, dir); err != nil {
		t.Fatal(err)
	}
	df, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(df), "FROM scratch\n") {
		t.Fatalf("Dockerfile: %q", df)
	}
	fi, err := os.Stat(filepath.Join(dir, "nats-server"))
	if err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("binary: %v %v", fi, err)
	}
	conf := NATSClusterConfig(0, 3, func(j int) string { return "nats-" + string(rune('0'+j)) })
	for _, want := range []string{`"nats-route://nats-1:6222"`, `"nats-route://nats-2:6222"`, `store_dir: "/data"`} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %s:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "nats-0:6222") {
		t.Errorf("config routes to itself:\n%s", conf)
	}
}
