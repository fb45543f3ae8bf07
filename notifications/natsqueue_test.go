package notifications

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/onsi/gomega"
	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/servers"
)

// natsDelivery is a queue on stream name of cluster c (its own subjects,
// so tests can share a cluster).
func natsDelivery(c *servers.NATSCluster, name string, concurrency int, ackWait time.Duration) Delivery {
	return Delivery{Concurrency: concurrency, Queue: Queue{Kind: "nats", NATS: &NATS{
		URLs: c.URLs(), Stream: name, SubjectPrefix: "test." + name, AckWait: ackWait}}}
}

// replicaClient tags every POST with the replica that sent it.
func replicaClient(tag string) *http.Client {
	return &http.Client{Transport: tagTransport{tag: tag, next: http.DefaultTransport.(*http.Transport).Clone()}}
}

type tagTransport struct {
	tag  string
	next http.RoundTripper
}

func (t tagTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Replica", t.tag)
	return t.next.RoundTrip(r)
}

// blobIndex maps the digest of blobPush(_, i) back to i.
func blobIndex(n int) map[digest.Digest]int {
	m := make(map[digest.Digest]int, n)
	for i := range n {
		m[digest.FromString(fmt.Sprintf("blob %d", i))] = i
	}
	return m
}

// answered is every event the receiver answered 2xx, in arrival order,
// duplicates included.
func answered(t *testing.T, rc *receiver) []Event {
	var out []Event
	for _, a := range rc.seen() {
		if a.status < 200 || a.status > 299 {
			continue
		}
		var env Envelope
		if err := jsonUnmarshal(a.body, &env); err != nil {
			t.Fatal(err)
		}
		out = append(out, env.Events...)
	}
	return out
}

// checkOnceInOrder: every one of n events (blob pushes 0..n-1) arrived,
// and by repository in the order they were pushed; it returns how many
// arrivals were duplicates (order is checked on first arrivals).
func checkOnceInOrder(t *testing.T, got []Event, n int) (dups int) {
	t.Helper()
	idx := blobIndex(n)
	seen := map[string]bool{}
	last := map[string]int{}
	for _, e := range got {
		if seen[e.ID] {
			dups++
			continue
		}
		seen[e.ID] = true
		i, ok := idx[e.Target.Digest]
		if !ok {
			t.Fatalf("unexpected event %s %s", e.ID, e.Target.Digest)
		}
		if prev, ok := last[e.Target.Repository]; ok && prev > i {
			t.Errorf("%s: event %d arrived after event %d", e.Target.Repository, i, prev)
		}
		last[e.Target.Repository] = i
	}
	if len(seen) != n {
		t.Errorf("%d distinct events arrived, want %d (lost %d)", len(seen), n, n-len(seen))
	}
	return dups
}

func repoOf(i int) string { return fmt.Sprintf("team/repo-%d", i%5) }

// sumMetrics adds the per-replica counters.
func sumMetrics(ns ...*Notifier) EndpointMetrics {
	var s EndpointMetrics
	for _, n := range ns {
		m := n.Metrics()["test"]
		s.Events += m.Events
		s.Successes += m.Successes
		s.Failures += m.Failures
		s.Errors += m.Errors
	}
	return s
}

// Two replicas accept events in turn; between them each event is
// delivered exactly once, in per-repository order, the per-replica
// counters add up, and Pending (cluster-wide, the same on both) reaches 0.
func TestNATSQueueTwoReplicas(t *testing.T) {
	cluster := servers.NATSClusterForTest(t, 3)
	for _, tc := range []struct {
		name        string
		concurrency int
		batch       Batch
	}{
		{"one partition", 1, Batch{}},
		{"three partitions", 3, Batch{}},
		{"batches", 2, Batch{MaxEvents: 4, MaxWait: 100 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := gomega.NewWithT(t)
			const n = 60
			rc := newReceiver(t, always(http.StatusOK))
			d := natsDelivery(cluster, strings.ReplaceAll(tc.name, " ", "_"), tc.concurrency, 5*time.Second)
			d.Batch = tc.batch
			ep := oneEndpoint(EndpointConfig{URL: rc.url()})
			a := newNotifier(t, withDelivery(ep, "test", d), WithHTTPClient(replicaClient("a")))
			b := newNotifier(t, withDelivery(ep, "test", d), WithHTTPClient(replicaClient("b")))
			for i := range n {
				[]*Notifier{a, b}[i%2].Notify(context.Background(), blobPush(repoOf(i), i))
			}
			g.Expect(a.Metrics()["test"].Events).To(gomega.Equal(n/2), "accepted by a")
			g.Expect(b.Metrics()["test"].Events).To(gomega.Equal(n/2), "accepted by b")

			g.Eventually(func() int { return len(answered(t, rc)) }, 30*time.Second).Should(gomega.Equal(n))
			g.Expect(checkOnceInOrder(t, answered(t, rc), n)).To(gomega.Equal(0), "duplicates")
			g.Eventually(func() int { return a.Metrics()["test"].Pending }, 10*time.Second).Should(gomega.Equal(0))
			g.Expect(b.Metrics()["test"].Pending).To(gomega.Equal(0))
			g.Expect(sumMetrics(a, b)).To(gomega.Equal(EndpointMetrics{Events: n, Successes: n}))
			if tc.batch.MaxEvents > 1 {
				posts := a.Metrics()["test"].Batches + b.Metrics()["test"].Batches
				g.Expect(posts).To(gomega.And(gomega.BeNumerically("<", n), gomega.Equal(len(rc.seen()))), "events shared POSTs")
				for _, arr := range rc.seen() {
					var env Envelope
					g.Expect(jsonUnmarshal(arr.body, &env)).To(gomega.Succeed())
					g.Expect(len(env.Events)).To(gomega.BeNumerically("<=", tc.batch.MaxEvents))
				}
			}
		})
	}
}

// The stream is replicated on every node (R3), and a repeated publish of
// one event id (a retried enqueue) is stored and delivered once.
func TestNATSQueueReplicatedAndDeduplicated(t *testing.T) {
	g := gomega.NewWithT(t)
	cluster := servers.NATSClusterForTest(t, 3)
	rc := newReceiver(t, always(http.StatusOK))
	n := newNotifier(t, withDelivery(oneEndpoint(EndpointConfig{URL: rc.url()}), "test", natsDelivery(cluster, "dedup", 1, 5*time.Second)))

	e := n.bridge.event(blobPush("team/a", 0))
	for range 3 {
		g.Expect(n.Requeue("test", []Event{e})).To(gomega.Succeed())
	}
	g.Eventually(rc.ids, 10*time.Second).Should(gomega.Equal([]string{e.ID}))
	g.Consistently(rc.ids, 300*time.Millisecond).Should(gomega.HaveLen(1))
	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{
		Events: 1, Successes: 1, Statuses: map[string]int{"200 OK": 1}}))

	info := streamInfo(t, cluster, "dedup")
	g.Expect(info.Config.Replicas).To(gomega.Equal(3))
	g.Expect(info.Config.Retention).To(gomega.Equal(jetstream.WorkQueuePolicy))
	g.Expect(info.Cluster.Replicas).To(gomega.HaveLen(2), "two followers besides the leader")
}

func streamInfo(t *testing.T, c *servers.NATSCluster, name string) *jetstream.StreamInfo {
	t.Helper()
	nc, err := nats.Connect(strings.Join(c.URLs(), ","), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var info *jetstream.StreamInfo
	gomega.NewWithT(t).Eventually(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s, err := js.Stream(ctx, name)
		if err == nil {
			info, err = s.Info(ctx)
		}
		if err == nil && (info.Cluster == nil || info.Cluster.Leader == "") {
			err = fmt.Errorf("no leader yet")
		}
		return err
	}, 20*time.Second).Should(gomega.Succeed())
	return info
}

// A replica closed while its POST hangs gives the event back at once; the
// other replica delivers it and everything else: 0 lost.
func TestNATSQueueReplicaClosedMidDelivery(t *testing.T) {
	g := gomega.NewWithT(t)
	cluster := servers.NATSClusterForTest(t, 3)
	rc := newReceiver(t, func(_ int, r *http.Request) int {
		if r.Header.Get("X-Replica") == "a" {
			hangUntilGivenUp(r) // a never delivers anything
		}
		return http.StatusOK
	})
	const n = 40
	d := natsDelivery(cluster, "closed", 3, 3*time.Second)
	ep := oneEndpoint(EndpointConfig{URL: rc.url(), Timeout: 30 * time.Second})
	a := newNotifier(t, withDelivery(ep, "test", d), WithHTTPClient(replicaClient("a")))
	b := newNotifier(t, withDelivery(ep, "test", d), WithHTTPClient(replicaClient("b")))
	for i := range n {
		[]*Notifier{a, b}[i%2].Notify(context.Background(), blobPush(repoOf(i), i))
	}
	hanging := func() int {
		k := 0
		for _, arr := range rc.seen() {
			if arr.header.Get("X-Replica") == "a" {
				k++
			}
		}
		return k
	}
	g.Eventually(hanging, 10*time.Second).Should(gomega.BeNumerically(">=", 1), "a holds an event in flight")

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	g.Expect(a.Shutdown(ctx)).To(gomega.Equal(map[string]int{"test": 0}), "kept in the stream, not dropped")

	g.Eventually(func() int { return len(answered(t, rc)) }, 30*time.Second).Should(gomega.Equal(n))
	g.Expect(checkOnceInOrder(t, answered(t, rc), n)).To(gomega.Equal(0))
	g.Eventually(func() int { return b.Metrics()["test"].Pending }, 10*time.Second).Should(gomega.Equal(0))
	g.Expect(a.Metrics()["test"].Successes).To(gomega.Equal(0))
	g.Expect(b.Metrics()["test"].Successes).To(gomega.Equal(n))
	for _, arr := range rc.seen() {
		if arr.header.Get("X-Replica") == "a" {
			g.Expect(arr.status).To(gomega.Equal(0), "a's attempts were cut short")
		}
	}
}

// Killing the stream's leader node: publishing and delivery go on, 0
// lost, repeats bounded by what was in flight; with two of three nodes
// gone (no quorum) an enqueue fails, so the push is refused instead of
// acknowledged.
func TestNATSQueueNodeKilled(t *testing.T) {
	for _, tc := range []struct {
		name        string
		concurrency int
		batch       Batch
	}{
		{"one event per POST", 3, Batch{}},
		{"batches", 2, Batch{MaxEvents: 4, MaxWait: 20 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := gomega.NewWithT(t)
			cluster := servers.NATSClusterForTest(t, 3)
			rc := newReceiver(t, func(int, *http.Request) int {
				time.Sleep(5 * time.Millisecond) // delivery spans the kill
				return http.StatusOK
			})
			const n = 60
			d := natsDelivery(cluster, "killed", tc.concurrency, 10*time.Second) // longer than an election
			d.Batch = tc.batch
			ep := oneEndpoint(EndpointConfig{URL: rc.url()})
			a := newNotifier(t, withDelivery(ep, "test", d))
			b := newNotifier(t, withDelivery(ep, "test", d))
			for i := range n / 2 {
				[]*Notifier{a, b}[i%2].Notify(context.Background(), blobPush(repoOf(i), i))
			}
			leader := cluster.Index(streamInfo(t, cluster, "killed").Cluster.Leader)
			g.Expect(leader).To(gomega.BeNumerically(">=", 0))
			g.Expect(cluster.Kill(leader)).To(gomega.Succeed())
			for i := n / 2; i < n; i++ {
				[]*Notifier{a, b}[i%2].Notify(context.Background(), blobPush(repoOf(i), i))
			}
			g.Expect(sumMetrics(a, b).Events).To(gomega.Equal(n), "every push was accepted")

			g.Eventually(func() map[string]bool {
				ids := map[string]bool{}
				for _, e := range answered(t, rc) {
					ids[e.ID] = true
				}
				return ids
			}, 60*time.Second).Should(gomega.HaveLen(n))
			dups := checkOnceInOrder(t, answered(t, rc), n)
			t.Logf("events delivered twice after the node kill: %d", dups)
			g.Expect(dups).To(gomega.BeNumerically("<=", tc.concurrency*max(tc.batch.MaxEvents, 1)),
				"at most what was in flight: one batch per partition")
			g.Eventually(func() int { return a.Metrics()["test"].Pending }, 20*time.Second).Should(gomega.Equal(0))

			// No quorum: the enqueue is refused with an error, nothing counted.
			other := (leader + 1) % 3
			g.Expect(cluster.Kill(other)).To(gomega.Succeed())
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			before := a.Metrics()["test"].Events
			err := a.sink.Write(ctx, a.bridge.event(blobPush("team/late", n)))
			g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("nats queue")))
			g.Expect(a.Metrics()["test"].Events).To(gomega.Equal(before))
		})
	}
}

// A NATS that cannot be reached is an error naming queue.nats.urls, and
// shows no credential.
func TestNATSQueueUnreachable(t *testing.T) {
	g := gomega.NewWithT(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(gomega.HaveOccurred())
	addr := l.Addr().String()
	l.Close()
	d := Delivery{Queue: Queue{Kind: "nats", NATS: &NATS{URLs: []string{"nats://" + addr}, Username: "u", Password: "hunter2"}}}
	_, err = New(withDelivery(oneEndpoint(EndpointConfig{URL: "http://127.0.0.1:1/"}), "test", d), WithLogger(discardLogger()))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring(`endpoint "test": Queue.NATS.URLs:`)))
	g.Expect(err.Error()).NotTo(gomega.ContainSubstring("hunter2"))

	d.Queue.NATS = &NATS{URLs: []string{"nats://" + addr}, CredentialsFile: t.TempDir() + "/missing.creds"}
	_, err = New(withDelivery(oneEndpoint(EndpointConfig{URL: "http://127.0.0.1:1/"}), "test", d), WithLogger(discardLogger()))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring(`endpoint "test": Queue.NATS.CredentialsFile:`)))

	_, err = New(withDelivery(oneEndpoint(EndpointConfig{URL: "http://127.0.0.1:1/"}), "test", Delivery{Queue: Queue{Kind: "nats"}}), WithLogger(discardLogger()))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring(`endpoint "test": Queue.NATS.URLs: required`)))
}

// Retry limits, dead letters and signing work as with the disk queue: a
// poisoned repository is dead-lettered after MaxAttempts without holding
// up another partition, every POST is signed, and Pending reaches 0.
func TestNATSQueueDeadLettersAndSigning(t *testing.T) {
	g := gomega.NewWithT(t)
	cluster := servers.NATSClusterForTest(t, 3)
	poison, fine := "poison", "fine"
	for i := 0; partitionOf(poison, 2) == partitionOf(fine, 2); i++ {
		fine = fmt.Sprintf("fine-%d", i) // the two in different partitions
	}
	key := "natskey"
	var rc *receiver
	rc = newReceiver(t, func(n int, _ *http.Request) int {
		if strings.Contains(string(rc.seen()[n].body), `"repository":"poison"`) {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	path := t.TempDir() + "/dead.jsonl"
	d := natsDelivery(cluster, "deadletters", 2, 5*time.Second)
	d.Retry = Retry{MaxAttempts: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	d.DeadLetter = DeadLetter{Path: path}
	d.Signing = Signing{Secrets: []string{newSecret(key)}}
	n := newNotifier(t, withDelivery(oneEndpoint(EndpointConfig{URL: rc.url()}), "test", d))
	for i := range 4 {
		n.Notify(context.Background(), blobPush(poison, i))
		n.Notify(context.Background(), blobPush(fine, i))
	}
	g.Eventually(metricsOf(n, "test"), 20*time.Second).Should(gomega.Equal(EndpointMetrics{
		Events: 8, Successes: 4, Failures: 12, DeadLettered: 4,
		Statuses: map[string]int{"500 Internal Server Error": 12, "200 OK": 4},
	}))
	for _, a := range rc.seen() {
		g.Expect(verify(a.header, a.body, key)).To(gomega.BeTrue(), "signed")
	}
	recs, err := readDeadLetterFile(path)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(recs).To(gomega.HaveLen(4))
	for _, r := range recs {
		g.Expect(r.Attempts).To(gomega.Equal(3))
		g.Expect(r.Events[0].Target.Repository).To(gomega.Equal(poison))
	}
}

func readDeadLetterFile(path string) ([]DeadLetterRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadDeadLetters(f)
}

// Events outlive every replica: accepted while the receiver is down, they
// wait in the stream and are delivered by the next start. A start with
// another concurrency (other partitions) is refused while they wait.
func TestNATSQueueOutlivesReplicas(t *testing.T) {
	g := gomega.NewWithT(t)
	cluster := servers.NATSClusterForTest(t, 3)
	d := natsDelivery(cluster, "outlives", 2, 2*time.Second)
	dead := oneEndpoint(EndpointConfig{URL: "http://" + freeAddr(t) + "/", Threshold: 1, Backoff: forever})
	first, err := New(withDelivery(dead, "test", d), WithLogger(discardLogger()))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	for i := range 6 {
		first.Notify(context.Background(), blobPush(repoOf(i), i))
	}
	g.Expect(first.Metrics()["test"].Pending).To(gomega.Equal(6))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	g.Expect(first.Shutdown(ctx)).To(gomega.Equal(map[string]int{"test": 0}), "kept, not dropped")

	other := d
	other.Concurrency = 3
	_, err = New(withDelivery(dead, "test", other), WithLogger(discardLogger()))
	g.Expect(err).To(gomega.MatchError(gomega.And(
		gomega.ContainSubstring(`endpoint "test": Concurrency:`),
		gomega.ContainSubstring("written with another concurrency"))))

	rc := newReceiver(t, always(http.StatusOK))
	second := newNotifier(t, withDelivery(oneEndpoint(EndpointConfig{URL: rc.url()}), "test", d))
	g.Eventually(func() int { return len(answered(t, rc)) }, 20*time.Second).Should(gomega.Equal(6))
	g.Expect(checkOnceInOrder(t, answered(t, rc), 6)).To(gomega.Equal(0))
	g.Eventually(func() int { return second.Metrics()["test"].Pending }, 10*time.Second).Should(gomega.Equal(0))
	// This process's own counters: it accepted none, delivered all six.
	g.Expect(second.Metrics()["test"].Events).To(gomega.Equal(0))
	g.Expect(second.Metrics()["test"].Successes).To(gomega.Equal(6))
}

func TestNATSToken(t *testing.T) {
	g := gomega.NewWithT(t)
	g.Expect(natsToken("hooks-1_A")).To(gomega.Equal("hooks-1_A"))
	g.Expect(natsToken("a.b")).To(gomega.HavePrefix("a_b_"))
	g.Expect(natsToken("a.b")).NotTo(gomega.Equal(natsToken("a b")))
	g.Expect(natsToken("a_b")).To(gomega.Equal("a_b"))
}

// A replica that dies without a goodbye (its NATS connection gone, as
// with kill -9) while holding a head strands nothing: after AckWait the
// other replica delivers that event and everything else.
func TestNATSQueueReplicaDiesMidDelivery(t *testing.T) {
	g := gomega.NewWithT(t)
	cluster := servers.NATSClusterForTest(t, 3)
	rc := newReceiver(t, func(_ int, r *http.Request) int {
		if r.Header.Get("X-Replica") == "a" {
			hangUntilGivenUp(r)
		}
		return http.StatusOK
	})
	const n = 20
	ackWait := 2 * time.Second
	d := natsDelivery(cluster, "dies", 2, ackWait)
	ep := oneEndpoint(EndpointConfig{URL: rc.url(), Timeout: 30 * time.Second})
	a := newNotifier(t, withDelivery(ep, "test", d), WithHTTPClient(replicaClient("a")))
	for i := range n {
		a.Notify(context.Background(), blobPush(repoOf(i), i))
	}
	g.Eventually(func() int { return len(rc.seen()) }, 10*time.Second).Should(gomega.BeNumerically(">=", 1), "a holds a head")
	a.endpoints[0].queue.(*natsQueue).nc.Close() // no nak: NATS only sees the replica gone
	died := time.Now()

	b := newNotifier(t, withDelivery(ep, "test", d), WithHTTPClient(replicaClient("b")))
	g.Eventually(func() int { return len(answered(t, rc)) }, 30*time.Second).Should(gomega.Equal(n))
	// Held until AckWait after a's last InProgress (sent every AckWait/3).
	g.Expect(time.Since(died)).To(gomega.BeNumerically(">=", ackWait*2/3), "the held head waited out AckWait")
	g.Expect(checkOnceInOrder(t, answered(t, rc), n)).To(gomega.Equal(0))
	g.Eventually(func() int { return b.Metrics()["test"].Pending }, 10*time.Second).Should(gomega.Equal(0))
	g.Expect(b.Metrics()["test"].Successes).To(gomega.Equal(n))
}
