package notifications

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
)

// TestBatchSendsWhatIsQueued: with maxevents 5 and no maxwait, the first
// event goes alone at once, and what queues behind it goes 5 at a time,
// in order; Statuses counts POSTs, Successes events.
func TestBatchSendsWhatIsQueued(t *testing.T) {
	g := gomega.NewWithT(t)
	release := make(chan struct{})
	rc := newReceiver(t, func(i int, _ *http.Request) int {
		if i == 0 {
			<-release
		}
		return http.StatusOK
	})
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Delivery: Delivery{Batch: Batch{MaxEvents: 5}}}))
	var sent []string
	for i := range 13 {
		n.Notify(context.Background(), blobPush("test/repo", i))
		if i == 0 {
			g.Eventually(func() int { return len(rc.seen()) }).Should(gomega.Equal(1))
		}
	}
	g.Expect(n.Metrics()["test"].Pending).To(gomega.Equal(13))
	close(release)
	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{
		Events: 13, Successes: 13, Statuses: map[string]int{"200 OK": 4},
	}))
	var sizes []int
	for _, a := range rc.seen() {
		sizes = append(sizes, len(a.ids))
		sent = append(sent, a.ids...)
	}
	g.Expect(sizes).To(gomega.Equal([]int{1, 5, 5, 2}))
	g.Expect(n.Metrics()["test"].Batches).To(gomega.Equal(4))
	g.Expect(sent).To(gomega.HaveLen(13))
	for i := 1; i < len(sent); i++ {
		g.Expect(sent[i-1] < sent[i]).To(gomega.BeTrue(), "FIFO across batches: %v", sent)
	}
}

// TestBatchMaxWaitGathers: with maxwait, events arriving together go in
// one POST.
func TestBatchMaxWaitGathers(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusOK))
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Delivery: Delivery{Batch: Batch{MaxEvents: 10, MaxWait: 300 * time.Millisecond}}}))
	for i := range 3 {
		n.Notify(context.Background(), blobPush("test/repo", i))
	}
	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{
		Events: 3, Successes: 3, Statuses: map[string]int{"200 OK": 1},
	}))
	g.Expect(rc.seen()[0].ids).To(gomega.HaveLen(3))
}

func newSecret(key string) string { return "whsec_" + base64.StdEncoding.EncodeToString([]byte(key)) }

// verify checks a Standard Webhooks signature header as a receiver would.
func verify(h http.Header, body []byte, key string) bool {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// TestSigning: every POST carries Standard Webhooks headers verifiable
// with each rotated secret; webhook-id is the event id, the same on retry.
func TestSigning(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, func(i int, _ *http.Request) int {
		if i == 0 {
			return http.StatusUnauthorized
		}
		return http.StatusOK
	})
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Threshold: threshold, Backoff: backoff, Delivery: Delivery{Signing: Signing{Secrets: []string{newSecret("old key"), newSecret("new key")}}}}))
	n.Notify(context.Background(), blobPush("test/repo", 1))
	g.Eventually(func() int { return n.Metrics()["test"].Successes }).Should(gomega.Equal(1))
	seen := rc.seen()
	g.Expect(seen).To(gomega.HaveLen(2))
	for _, a := range seen {
		g.Expect(a.header.Get("webhook-id")).To(gomega.Equal(a.ids[0]))
		g.Expect(a.header.Get("webhook-timestamp")).To(gomega.MatchRegexp(`^\d{10}$`))
		g.Expect(verify(a.header, a.body, "old key")).To(gomega.BeTrue())
		g.Expect(verify(a.header, a.body, "new key")).To(gomega.BeTrue())
		g.Expect(verify(a.header, a.body, "wrong key")).To(gomega.BeFalse())
	}
}

// TestExtendedVars: an endpoint with delivery settings shows our counters
// (even at zero) in /debug/vars and Prometheus; the Distribution-mode one
// beside it shows exactly Distribution's keys.
func TestExtendedVars(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusOK))
	n := newNotifier(t, Config{Endpoints: []EndpointConfig{{Name: "plain", URL: rc.url()},
		{Name: "ext", URL: rc.url(), Delivery: Delivery{Batch: Batch{MaxEvents: 10}}}}})
	pushTwo(n)
	g.Eventually(func() int { return n.Metrics()["ext"].Successes }).Should(gomega.Equal(2))
	eps := n.Vars().(NotificationsVars).Endpoints
	g.Expect(eps[0].Metrics.Batches).To(gomega.BeNil())
	g.Expect(eps[1].Metrics.Batches).NotTo(gomega.BeNil())
	g.Expect(*eps[1].Metrics.DeadLettered).To(gomega.BeZero())
	g.Expect(*eps[1].Metrics.QueueBytes).To(gomega.BeZero())
	g.Expect(*eps[1].Metrics.OldestPendingAge).To(gomega.BeZero())

	reg := prometheus.NewRegistry()
	g.Expect(n.Register(reg)).To(gomega.Succeed())
	got := gathered(t, reg)
	g.Expect(got).To(gomega.HaveKey("registry_notifications_events_total{endpoint=ext,type=Batches}"))
	g.Expect(got).To(gomega.HaveKey("registry_notifications_oldest_pending_seconds{endpoint=ext}"))
	g.Expect(got).NotTo(gomega.HaveKey("registry_notifications_events_total{endpoint=plain,type=Batches}"))
	g.Expect(got).NotTo(gomega.HaveKey("registry_notifications_oldest_pending_seconds{endpoint=plain}"))
}

// TestOldestPendingAgeAndQueueBytes: a stuck disk queue reports its age
// and file size.
func TestOldestPendingAgeAndQueueBytes(t *testing.T) {
	g := gomega.NewWithT(t)
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: "http://" + freeAddr(t) + "/", Threshold: 1, Backoff: forever, Delivery: Delivery{Queue: Queue{Kind: "disk", Path: t.TempDir() + "/q.db"}}}))
	n.Notify(context.Background(), blobPush("r", 1))
	g.Eventually(func() time.Duration { return *n.Vars().(NotificationsVars).Endpoints[0].Metrics.OldestPendingAge }).
		Should(gomega.BeNumerically(">=", 20*time.Millisecond))
	g.Expect(*n.Vars().(NotificationsVars).Endpoints[0].Metrics.QueueBytes).To(gomega.BeNumerically(">", 0))
}

func TestBatchIDStable(t *testing.T) {
	g := gomega.NewWithT(t)
	evs := []Event{{ID: "a"}, {ID: "b"}}
	g.Expect(deliveryID(evs)).To(gomega.Equal(deliveryID([]Event{{ID: "a"}, {ID: "b"}})))
	g.Expect(deliveryID(evs)).NotTo(gomega.Equal(deliveryID([]Event{{ID: "b"}, {ID: "a"}})))
	g.Expect(deliveryID(evs[:1])).To(gomega.Equal("a"))
}

// TestConcurrencyKeepsRepositoryOrder: several POSTs in flight at once,
// yet each repository's events arrive in the order they were queued.
func TestConcurrencyKeepsRepositoryOrder(t *testing.T) {
	g := gomega.NewWithT(t)
	var inflight, most atomic.Int64
	rc := newReceiver(t, func(int, *http.Request) int {
		now := inflight.Add(1)
		for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond) // the receiver's latency, so POSTs overlap
		inflight.Add(-1)
		return http.StatusOK
	})
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Delivery: Delivery{Concurrency: 4}}))
	const repos, each = 8, 10
	seq := map[string]int{} // event digest -> position within its repository
	for i := range each {
		for r := range repos {
			a := blobPush("repo"+string(rune('a'+r)), r*1000+i)
			seq[a.Descriptor.Digest.String()] = i
			n.Notify(context.Background(), a)
		}
	}
	g.Eventually(metricsOf(n, "test"), 10*time.Second).Should(gomega.Equal(EndpointMetrics{
		Events: repos * each, Successes: repos * each, Statuses: map[string]int{"200 OK": repos * each},
	}))
	last := map[string]int{}
	for _, a := range rc.seen() {
		var env Envelope
		g.Expect(jsonUnmarshal(a.body, &env)).To(gomega.Succeed())
		for _, e := range env.Events {
			i := seq[e.Target.Digest.String()]
			prev, ok := last[e.Target.Repository]
			g.Expect(!ok || i == prev+1).To(gomega.BeTrue(), "%s: event %d after %d", e.Target.Repository, i, prev)
			last[e.Target.Repository] = i
		}
	}
	g.Expect(most.Load()).To(gomega.BeNumerically(">", 1), "POSTs overlapped")
}

// TestConcurrencyShutdownCountsEveryShard: dropped counts include every
// shard's backlog.
func TestConcurrencyShutdownCountsEveryShard(t *testing.T) {
	g := gomega.NewWithT(t)
	n, err := New(oneEndpoint(EndpointConfig{URL: "http://" + freeAddr(t) + "/", Threshold: 1, Backoff: forever, Delivery: Delivery{Concurrency: 3, Batch: Batch{MaxEvents: 4}}}),
		WithLogger(discardLogger()))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	for i := range 20 {
		n.Notify(context.Background(), blobPush("r"+string(rune('a'+i%5)), i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	g.Expect(n.Shutdown(ctx)).To(gomega.Equal(map[string]int{"test": 20}))
	g.Expect(n.Metrics()["test"].Pending).To(gomega.Equal(20))
}

// TestUnusableSecretRefused: a secret that cannot be decoded stops New
// (signing with fewer keys than asked would fail receivers' checks
// silently), naming the setting.
func TestUnusableSecretRefused(t *testing.T) {
	g := gomega.NewWithT(t)
	_, err := New(oneEndpoint(EndpointConfig{URL: "http://x/",
		Delivery: Delivery{Signing: Signing{Secrets: []string{newSecret("k"), "whsec_!!"}}}}))
	var epErr *EndpointError
	g.Expect(errors.As(err, &epErr)).To(gomega.BeTrue(), "error %v", err)
	g.Expect([]string{epErr.Endpoint, epErr.Setting}).To(gomega.Equal([]string{"test", "Signing.Secrets[1]"}))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("not a whsec_ base64 secret")))
}
