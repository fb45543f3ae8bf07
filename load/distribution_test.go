package load_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookbench/hookbench/load"

	"github.com/onsi/gomega"
)

// TestAgainstDistribution runs every load op against a CNCF Distribution
// binary named by HOOKBENCH_DISTRIBUTION (skipped without it):
//
//	HOOKBENCH_DISTRIBUTION=/tmp/peers/registry go test ./load -run Distribution
func TestAgainstDistribution(t *testing.T) {
	bin := os.Getenv("HOOKBENCH_DISTRIBUTION")
	if bin == "" {
		t.Skip("HOOKBENCH_DISTRIBUTION is not set")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	gomega.NewWithT(t).Eventually(func() error {
		resp, err := http.Get(base + "/v2/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}).WithTimeout(20*time.Second).Should(gomega.Succeed(), "distribution answering /v2/")
	ctx := context.Background()
	led := &load.Ledger{}
	// Distribution's declared differences: no single-request upload (measured,
	// shared/compat); ?tag= on a push by digest assumed ignored (v3.1 predates
	// the spec's multi-tag push; not measured).
	target := load.Target{URL: base, NoTagQuery: true}
	for _, p := range []load.Profile{
		{Op: load.OpMixed, Count: 2 * len(load.Operations()), Repositories: 2, Pacing: load.Pacing{Rate: 100}, RepoPrefix: "mixed"},
		{Op: load.OpManifestPush, Count: 20, Repositories: 2, Pacing: load.Pacing{Rate: 200}},
		{Op: load.OpBlobPush, Count: 10, Pacing: load.Pacing{Rate: 200}, RepoPrefix: "blobs"},
		{Op: load.OpPull, Count: 5, Pacing: load.Pacing{Rate: 200}, RepoPrefix: "pull"},
		{Op: load.OpDelete, Count: 3, Pacing: load.Pacing{Rate: 200}, RepoPrefix: "del"},
	} {
		res, err := load.Run(ctx, target, p, led, nil)
		if err != nil {
			t.Fatalf("%s: %v", p.Op, err)
		}
		if res.Metrics.Success != 1 {
			t.Fatalf("%s: success %.2f codes %v errors %v", p.Op, res.Metrics.Success, res.Metrics.StatusCodes, res.Metrics.Errors)
		}
	}
}
