package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/moby/moby/api/types/container"
	mnetwork "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
	"gopkg.in/yaml.v3"

	"github.com/hookbench/hookbench/harness/balancer"
	"github.com/hookbench/hookbench/harness/chaos"
	hrt "github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/servers"
)

// Inside the cluster network.
const (
	s3Port       = "9000/tcp"
	balancerPort = "8080/tcp"
	s3Alias      = "s3"
	s3Bucket     = "hookbench"
	// clusterSecret is http.secret, the same on every replica (as
	// Distribution needs it; ours keeps upload state in storage anyway).
	clusterSecret = "hookbench-cluster-secret"
	// natsAckWait is how long a killed replica's delivery in flight stays
	// held before another replica takes it: short, so scenarios drain in
	// seconds.
	natsAckWait = 3 * time.Second
	natsNodes   = 3
)

// Cluster runs a runtime.Topology in containers: N replicas of our
// registry sharing S3 (a MinIO container) and, with the nats queue, a
// 3-node NATS JetStream cluster, behind the round-robin balancer, with the
// fake endpoints behind toxiproxy as in Runtime; all on the scenario's
// private network:
//
//	harness -> balancer -> replica-0..N-1 -> toxiproxy (sink) -> fake endpoint
//	                        |      \-> nats-0..2 (queue nats)
//	                        \-> s3 (MinIO)
//
// Replicas publish their API and debug ports on fixed 127.0.0.1 ports, so
// the harness samples each one by the same URL across restarts.
type Cluster struct {
	*Runtime
	topo hrt.Topology

	cmu      sync.Mutex
	replicas []*replica
	s3       testcontainers.Container
	nats     []testcontainers.Container
	volumes  []string
	balURL   string
}

type replica struct {
	name     string
	ctr      testcontainers.Container
	api, dbg int
}

// NewCluster makes a cluster runtime for one scenario of topology topo,
// with images from BuildImages and BuildClusterImages (merged).
func NewCluster(ctx context.Context, images map[string]string, topo hrt.Topology, opts ...Option) (*Cluster, error) {
	if err := topo.Validate(); err != nil {
		return nil, err
	}
	need := []string{ImageBalancer}
	if topo.Storage == hrt.StorageS3 {
		need = append(need, ImageMinIO)
	}
	if topo.Queue == hrt.QueueNATS {
		need = append(need, ImageNATS)
	}
	for _, n := range need {
		if images[n] == "" {
			return nil, fmt.Errorf("docker cluster: no %s image (run BuildClusterImages)", n)
		}
	}
	r, err := New(ctx, images, opts...)
	if err != nil {
		return nil, err
	}
	return &Cluster{Runtime: r, topo: topo}, nil
}

// Name implements runtime.Runtime.
func (c *Cluster) Name() string { return "docker-cluster" }

// Topology implements runtime.Cluster.
func (c *Cluster) Topology() hrt.Topology { return c.topo }

// Replicas implements runtime.Cluster.
func (c *Cluster) Replicas() []hrt.Replica {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	out := make([]hrt.Replica, len(c.replicas))
	for i, rp := range c.replicas {
		out[i] = hrt.Replica{Name: rp.name, URL: fmt.Sprintf("http://127.0.0.1:%d", rp.api), DebugURL: fmt.Sprintf("http://127.0.0.1:%d", rp.dbg)}
	}
	return out
}

// StartRegistry implements runtime.Runtime: S3, NATS, the replicas, then
// the balancer. Registry().URL is the balancer's (the first replica's
// without one), DebugURL the first replica's.
func (c *Cluster) StartRegistry(ctx context.Context, spec hrt.RegistrySpec) (hrt.Registry, error) {
	if spec.Binary != nil {
		return hrt.Registry{}, hrt.Unsupported("docker", "registry binary", "the cluster runs our registry image")
	}
	if spec.HasFaults() {
		return hrt.Registry{}, hrt.Unsupported("docker", "registry fault hooks", "they exist only in the in-process registry")
	}
	if err := c.startProxy(ctx); err != nil {
		return hrt.Registry{}, err
	}
	if c.topo.Storage == hrt.StorageS3 {
		if err := c.startS3(ctx); err != nil {
			return hrt.Registry{}, err
		}
	}
	var natsURLs []string
	if c.topo.Queue == hrt.QueueNATS {
		var err error
		if natsURLs, err = c.startNATS(ctx); err != nil {
			return hrt.Registry{}, err
		}
	}
	rendered, err := hrt.RenderConfig(spec.ConfigTemplate, hrt.Addrs{Addr: ":5000", DebugAddr: ":5001", StorageDir: storageDir})
	if err != nil {
		return hrt.Registry{}, err
	}
	cfg, err := clusterConfig(rendered, c.topo, natsURLs)
	if err != nil {
		return hrt.Registry{}, err
	}
	n := c.topo.N()
	reps := make([]*replica, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { reps[i], errs[i] = c.startReplica(ctx, i, cfg) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return hrt.Registry{}, err
	}
	c.cmu.Lock()
	c.replicas = reps
	c.cmu.Unlock()
	first := c.Replicas()[0]
	info := hrt.Registry{URL: first.URL, DebugURL: first.DebugURL, MetricsPath: "/metrics", SingleRequestUpload: true, OwnRegistry: true}
	if c.topo.Balancer {
		if info.URL, err = c.startBalancer(ctx, reps); err != nil {
			return hrt.Registry{}, err
		}
	}
	c.mu.Lock()
	c.regInfo = info
	c.mu.Unlock()
	c.logf("docker cluster: %s at %s, network %s", c.topo, info.URL, c.net.Name)
	return info, nil
}

func (c *Cluster) startS3(ctx context.Context) error {
	ctr, err := c.run(ctx, "s3", testcontainers.ContainerRequest{
		Image:          c.images[ImageMinIO],
		Env:            map[string]string{"MINIO_ROOT_USER": servers.DefaultAccessKey, "MINIO_ROOT_PASSWORD": servers.DefaultSecretKey},
		ExposedPorts:   []string{s3Port},
		Labels:         c.labels("s3"),
		Networks:       []string{c.net.Name},
		NetworkAliases: map[string][]string{c.net.Name: {s3Alias}},
		WaitingFor:     wait.ForHTTP("/minio/health/live").WithPort(s3Port).WithStartupTimeout(2 * hrt.DefaultStartTimeout),
	})
	if err != nil {
		return fmt.Errorf("docker cluster: s3: %w", err)
	}
	u, err := hostURL(ctx, ctr, s3Port)
	if err != nil {
		return err
	}
	mc, err := minio.New(u[len("http://"):], &minio.Options{Creds: credentials.NewStaticV4(servers.DefaultAccessKey, servers.DefaultSecretKey, ""), Region: servers.DefaultRegion})
	if err != nil {
		return err
	}
	if err := mc.MakeBucket(ctx, s3Bucket, minio.MakeBucketOptions{Region: servers.DefaultRegion}); err != nil {
		return fmt.Errorf("docker cluster: s3 bucket: %w", err)
	}
	c.cmu.Lock()
	c.s3 = ctr
	c.cmu.Unlock()
	return nil
}

func natsAlias(i int) string { return fmt.Sprintf("nats-%d", i) }

// clusterConfig turns the scenario's rendered config into the replicas'
// one: storage.s3 on the MinIO container, http.secret, and every
// endpoint's queue on the NATS cluster when the topology says nats.
func clusterConfig(rendered []byte, topo hrt.Topology, natsURLs []string) ([]byte, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal(rendered, &cfg); err != nil {
		return nil, fmt.Errorf("docker cluster: config: %w", err)
	}
	section := func(m map[string]any, key string) map[string]any {
		s, _ := m[key].(map[string]any)
		if s == nil {
			s = map[string]any{}
			m[key] = s
		}
		return s
	}
	http := section(cfg, "http")
	http["secret"] = clusterSecret
	if topo.Storage == hrt.StorageS3 {
		st := section(cfg, "storage")
		delete(st, "filesystem")
		delete(st, "inmemory")
		// The secret key comes from REGISTRY_STORAGE_S3_SECRETKEY.
		st["s3"] = map[string]any{"region": servers.DefaultRegion, "regionendpoint": "http://" + s3Alias + ":9000",
			"bucket": s3Bucket, "rootdirectory": "/registry", "accesskey": servers.DefaultAccessKey,
			"forcepathstyle": true, "secure": false}
	}
	if topo.Queue == hrt.QueueNATS {
		eps, _ := section(cfg, "notifications")["endpoints"].([]any)
		for _, e := range eps {
			if m, ok := e.(map[string]any); ok {
				m["queue"] = map[string]any{"kind": "nats", "nats": map[string]any{"urls": natsURLs, "ackwait": natsAckWait.String()}}
			}
		}
	}
	return yaml.Marshal(cfg)
}

func (c *Cluster) startReplica(ctx context.Context, i int, cfg []byte) (*replica, error) {
	name := fmt.Sprintf("replica-%d", i)
	vol := fmt.Sprintf("hookbench-%s-%s", c.id, name)
	if _, err := c.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: vol, Labels: c.labels(name)}); err != nil {
		return nil, fmt.Errorf("docker cluster: volume: %w", err)
	}
	c.cmu.Lock()
	c.volumes = append(c.volumes, vol)
	c.cmu.Unlock()
	api, err := freePort()
	if err != nil {
		return nil, err
	}
	dbg, err := freePort()
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	if c.topo.Storage == hrt.StorageS3 {
		env["REGISTRY_STORAGE_S3_SECRETKEY"] = servers.DefaultSecretKey
	}
	ctr, err := c.run(ctx, name, testcontainers.ContainerRequest{
		Image:          c.images[ImageRegistry],
		Cmd:            []string{"serve", configPath},
		Env:            env,
		ExposedPorts:   []string{registryPort, debugPort},
		Labels:         c.labels("replica"),
		Networks:       []string{c.net.Name},
		NetworkAliases: map[string][]string{c.net.Name: {name}},
		Files:          []testcontainers.ContainerFile{{Reader: bytes.NewReader(cfg), ContainerFilePath: configPath, FileMode: 0o644}},
		Mounts:         testcontainers.ContainerMounts{testcontainers.VolumeMount(vol, testcontainers.ContainerMountTarget(storageDir))},
		Tmpfs:          map[string]string{"/tmp": "rw"},
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.PortBindings = mnetwork.PortMap{
				mnetwork.MustParsePort(registryPort): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(api)}},
				mnetwork.MustParsePort(debugPort):    {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(dbg)}},
			}
		},
		WaitingFor: wait.ForHTTP("/debug/health").WithPort(debugPort).WithStartupTimeout(2 * hrt.DefaultStartTimeout),
	})
	if err != nil {
		return nil, fmt.Errorf("docker cluster: %s: %w", name, err)
	}
	return &replica{name: name, ctr: ctr, api: api, dbg: dbg}, nil
}

func (c *Cluster) startBalancer(ctx context.Context, reps []*replica) (string, error) {
	cmd := []string{"--addr", ":8080"}
	for _, rp := range reps {
		cmd = append(cmd, "--backend", "http://"+rp.name+":5000")
	}
	ctr, err := c.run(ctx, "balancer", testcontainers.ContainerRequest{
		Image:          c.images[ImageBalancer],
		Cmd:            cmd,
		ExposedPorts:   []string{balancerPort},
		Labels:         c.labels("balancer"),
		Networks:       []string{c.net.Name},
		NetworkAliases: map[string][]string{c.net.Name: {"balancer"}},
		WaitingFor:     wait.ForHTTP(balancer.HealthPath).WithPort(balancerPort).WithStartupTimeout(hrt.DefaultStartTimeout),
	})
	if err != nil {
		return "", fmt.Errorf("docker cluster: balancer: %w", err)
	}
	u, err := hostURL(ctx, ctr, balancerPort)
	if err != nil {
		return "", err
	}
	c.cmu.Lock()
	c.balURL = u
	c.cmu.Unlock()
	return u, nil
}

// BalancerStats reads the balancer's per-replica request counts.
func (c *Cluster) BalancerStats(ctx context.Context) (balancer.Stats, error) {
	c.cmu.Lock()
	u := c.balURL
	c.cmu.Unlock()
	var st balancer.Stats
	if u == "" {
		return st, errors.New("docker cluster: no balancer")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+balancer.StatsPath, nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("balancer stats: %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

func (c *Cluster) replica(i int) (*replica, error) {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	if i < 0 || i >= len(c.replicas) {
		return nil, fmt.Errorf("docker cluster: no replica %d (%d running)", i, len(c.replicas))
	}
	return c.replicas[i], nil
}

// KillReplica implements chaos.ReplicaKiller: SIGKILL, nothing drained.
func (c *Cluster) KillReplica(ctx context.Context, i int) error {
	rp, err := c.replica(i)
	if err != nil {
		return err
	}
	if _, err := c.cli.ContainerKill(ctx, rp.ctr.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return fmt.Errorf("docker cluster: kill %s: %w", rp.name, err)
	}
	return c.waitStopped(ctx, rp.ctr, rp.name)
}

func (c *Cluster) waitStopped(ctx context.Context, ctr testcontainers.Container, name string) error {
	deadline := time.Now().Add(hrt.DefaultStartTimeout)
	for {
		st, err := ctr.State(ctx)
		if err == nil && !st.Running {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("docker cluster: %s still running %s after the signal", name, hrt.DefaultStartTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// StartReplica implements chaos.ReplicaKiller: the same container
// (config, volume, host ports) started again and healthy.
func (c *Cluster) StartReplica(ctx context.Context, i int) error {
	rp, err := c.replica(i)
	if err != nil {
		return err
	}
	if err := rp.ctr.Start(ctx); err != nil {
		return fmt.Errorf("docker cluster: start %s: %w", rp.name, err)
	}
	return nil
}

// RestartReplica implements chaos.ReplicaRestarter: a graceful stop
// (SIGTERM, in-flight requests finish), then a start.
func (c *Cluster) RestartReplica(ctx context.Context, i int) error {
	rp, err := c.replica(i)
	if err != nil {
		return err
	}
	if st, err := rp.ctr.State(ctx); err == nil && st.Running {
		timeout := 15 * time.Second
		if err := rp.ctr.Stop(ctx, &timeout); err != nil {
			return fmt.Errorf("docker cluster: stop %s: %w", rp.name, err)
		}
	}
	return c.StartReplica(ctx, i)
}

// RollingRestart implements chaos.RollingRestarter: every replica in turn
// stopped gracefully and started, the next only once this one is healthy.
func (c *Cluster) RollingRestart(ctx context.Context) error {
	for i := range c.Replicas() {
		if err := c.RestartReplica(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// PartitionReplica implements chaos.ReplicaPartitioner: the replica is
// disconnected from the scenario network (balancer, S3, NATS, receivers).
func (c *Cluster) PartitionReplica(ctx context.Context, i int) error {
	rp, err := c.replica(i)
	if err != nil {
		return err
	}
	return c.disconnect(ctx, rp.ctr)
}

// HealReplica implements chaos.ReplicaPartitioner.
func (c *Cluster) HealReplica(ctx context.Context, i int) error {
	rp, err := c.replica(i)
	if err != nil {
		return err
	}
	return c.connect(ctx, rp.ctr, rp.name)
}

func (c *Cluster) disconnect(ctx context.Context, ctr testcontainers.Container) error {
	_, err := c.cli.NetworkDisconnect(ctx, c.net.ID, client.NetworkDisconnectOptions{Container: ctr.GetContainerID(), Force: true})
	return err
}

func (c *Cluster) connect(ctx context.Context, ctr testcontainers.Container, alias string) error {
	_, err := c.cli.NetworkConnect(ctx, c.net.ID, client.NetworkConnectOptions{
		Container: ctr.GetContainerID(), EndpointConfig: &mnetwork.EndpointSettings{Aliases: []string{alias}}})
	return err
}

// StopStorage implements chaos.StorageStopper: the S3 server stops (its
// data kept in the container).
func (c *Cluster) StopStorage(ctx context.Context) error {
	c.cmu.Lock()
	s3 := c.s3
	c.cmu.Unlock()
	if s3 == nil {
		return errors.New("docker cluster: no S3 server (storage is not s3)")
	}
	timeout := 5 * time.Second
	return s3.Stop(ctx, &timeout)
}

// StartStorage implements chaos.StorageStopper: S3 back, healthy.
func (c *Cluster) StartStorage(ctx context.Context) error {
	c.cmu.Lock()
	s3 := c.s3
	c.cmu.Unlock()
	if s3 == nil {
		return errors.New("docker cluster: no S3 server (storage is not s3)")
	}
	return s3.Start(ctx)
}

// KillRegistry implements chaos.RegistryKiller for a cluster: every replica.
func (c *Cluster) KillRegistry(ctx context.Context) error {
	var errs []error
	for i := range c.Replicas() {
		errs = append(errs, c.KillReplica(ctx, i))
	}
	return errors.Join(errs...)
}

// RestartRegistry implements chaos.RegistryRestarter for a cluster: every
// replica at once (after a kill, a start; otherwise a graceful restart).
func (c *Cluster) RestartRegistry(ctx context.Context) error {
	var errs []error
	for i := range c.Replicas() {
		errs = append(errs, c.RestartReplica(ctx, i))
	}
	return errors.Join(errs...)
}

// Close implements runtime.Runtime: every container and the network (by
// Runtime.Close), then the replicas' volumes.
func (c *Cluster) Close(ctx context.Context) error {
	err := c.Runtime.Close(ctx)
	c.cmu.Lock()
	vols := c.volumes
	c.volumes = nil
	c.cmu.Unlock()
	errs := []error{err}
	if len(vols) > 0 {
		cli, cerr := newClient()
		if cerr != nil {
			return errors.Join(err, cerr)
		}
		defer cli.Close()
		for _, v := range vols {
			if _, err := cli.VolumeRemove(ctx, v, client.VolumeRemoveOptions{Force: true}); err != nil {
				errs = append(errs, fmt.Errorf("remove volume %s: %w", v, err))
			}
		}
	}
	return errors.Join(errs...)
}

var (
	_ hrt.Runtime              = (*Cluster)(nil)
	_ hrt.Cluster              = (*Cluster)(nil)
	_ chaos.ReplicaKiller      = (*Cluster)(nil)
	_ chaos.ReplicaRestarter   = (*Cluster)(nil)
	_ chaos.ReplicaPartitioner = (*Cluster)(nil)
	_ chaos.RollingRestarter   = (*Cluster)(nil)
	_ chaos.StorageStopper     = (*Cluster)(nil)
)
