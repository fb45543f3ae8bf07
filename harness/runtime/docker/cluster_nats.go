package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/hookbench/hookbench/harness/chaos"
	hrt "github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/servers"
)

// nats-server, built from the Go module proxy by servers.NATSServerFor.
const (
	natsClient  = "4222/tcp"
	natsMonitor = "8222/tcp"
	natsConf    = "/etc/nats/nats.conf"
)

// natsImage builds (or finds) the FROM scratch nats-server image.
func natsImage(ctx context.Context, cli *client.Client, dir string) (string, error) {
	bin, err := servers.NATSServerFor(ctx, "linux", goruntime.GOARCH) // containers run linux
	if err != nil {
		return "", err
	}
	ctxDir := filepath.Join(dir, "nats-context")
	if err := os.MkdirAll(filepath.Join(ctxDir, "data"), 0o755); err != nil {
		return "", err
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "nats-server"), b, 0o755); err != nil {
		return "", err
	}
	const dockerfile = "FROM scratch\nCOPY nats-server /nats-server\nCOPY data /data\nEXPOSE 4222 6222 8222\n" +
		"ENTRYPOINT [\"/nats-server\"]\nCMD [\"-c\", \"/etc/nats/nats.conf\"]\n"
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return "", err
	}
	return ensureContextImage(ctx, cli, ImageNATS, ctxDir)
}

// natsNodeConf is node i's nats.conf in a JetStream cluster of n nodes
// reachable by their aliases.
func natsNodeConf(i, n int) string {
	var routes []string
	for j := range n {
		if j != i {
			routes = append(routes, fmt.Sprintf("%q", fmt.Sprintf("nats-route://%s:6222", natsAlias(j))))
		}
	}
	return fmt.Sprintf(`server_name: "n%d"
listen: "0.0.0.0:4222"
http: "0.0.0.0:8222"
jetstream {
  store_dir: "/data"
  max_memory_store: 64MB
  max_file_store: 1GB
}
cluster {
  name: "hookbench"
  listen: "0.0.0.0:6222"
  routes: [%s]
}
`, i, strings.Join(routes, ", "))
}

// startNATS starts the 3-node JetStream cluster (all at once: each waits
// for the others to form the cluster) and returns the replicas' URLs.
func (c *Cluster) startNATS(ctx context.Context) ([]string, error) {
	ctrs := make([]testcontainers.Container, natsNodes)
	errs := make([]error, natsNodes)
	var wg sync.WaitGroup
	for i := range natsNodes {
		wg.Go(func() {
			ctrs[i], errs[i] = c.run(ctx, natsAlias(i), testcontainers.ContainerRequest{
				Image:          c.images[ImageNATS],
				ExposedPorts:   []string{natsMonitor},
				Labels:         c.labels("nats"),
				Networks:       []string{c.net.Name},
				NetworkAliases: map[string][]string{c.net.Name: {natsAlias(i)}},
				Files:          []testcontainers.ContainerFile{{Reader: strings.NewReader(natsNodeConf(i, natsNodes)), ContainerFilePath: natsConf, FileMode: 0o644}},
				// healthz answers once JetStream is up and the cluster has
				// a meta leader.
				WaitingFor: wait.ForHTTP("/healthz").WithPort(natsMonitor).WithStartupTimeout(2 * hrt.DefaultStartTimeout),
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("docker cluster: nats: %w", err)
	}
	c.cmu.Lock()
	c.nats = ctrs
	c.cmu.Unlock()
	urls := make([]string, natsNodes)
	for i := range urls {
		urls[i] = fmt.Sprintf("nats://%s:4222", natsAlias(i))
	}
	return urls, nil
}

func (c *Cluster) natsNode(i int) (testcontainers.Container, error) {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	if i < 0 || i >= len(c.nats) {
		return nil, fmt.Errorf("docker cluster: no NATS node %d (%d running)", i, len(c.nats))
	}
	return c.nats[i], nil
}

// PartitionNATS implements chaos.NATSPartitioner: node i is disconnected
// from the network (the other nodes and every replica).
func (c *Cluster) PartitionNATS(ctx context.Context, i int) error {
	n, err := c.natsNode(i)
	if err != nil {
		return err
	}
	return c.disconnect(ctx, n)
}

// HealNATS implements chaos.NATSPartitioner.
func (c *Cluster) HealNATS(ctx context.Context, i int) error {
	n, err := c.natsNode(i)
	if err != nil {
		return err
	}
	return c.connect(ctx, n, natsAlias(i))
}

var _ chaos.NATSPartitioner = (*Cluster)(nil)
