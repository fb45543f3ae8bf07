package notifications

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// These tests reproduce each row of the observed-counters table in
// shared/compat/README.md with threshold 2 instead of 5, and a backoff of
// 50ms (or an hour, where the test needs the counters to stand still).

const (
	threshold = 2
	backoff   = 50 * time.Millisecond
	forever   = time.Hour // a backoff that never elapses during a test
)

func pushTwo(n *Notifier) {
	n.Notify(context.Background(), blobPush("test/repo", 1))
	n.Notify(context.Background(), manifestPush("test/repo", "latest"))
}

func TestDelivered200(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusOK))
	n := newNotifier(t, oneEndpoint(EndpointConfig{
		URL: rc.url(), Threshold: threshold, Backoff: backoff,
		Headers: http.Header{"Authorization": {"Bearer secret-token-xyz"}, "X-Multi": {"a", "b"}},
	}))
	pushTwo(n)

	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{
		Pending: 0, Events: 2, Successes: 2, Failures: 0, Errors: 0,
		Statuses: map[string]int{"200 OK": 2},
	}))
	seen := rc.seen()
	g.Expect(seen).To(gomega.HaveLen(2))
	for _, a := range seen {
		g.Expect(a.ids).To(gomega.HaveLen(1), "one event per POST, as Distribution")
		g.Expect(a.contentType).To(gomega.Equal(EventsMediaType))
		g.Expect(a.header.Get("Authorization")).To(gomega.Equal("Bearer secret-token-xyz"))
		g.Expect(a.header.Values("X-Multi")).To(gomega.Equal([]string{"a", "b"}))
	}
}

// TestAnsweredStatuses: every status is counted per attempt in Statuses;
// only 2xx delivers: a 3xx (not followed: no same-origin Location here) is
// a failure retried forever, like any other status (Distribution counts
// 3xx as success; see README).
func TestAnsweredStatuses(t *testing.T) {
	for _, tc := range []struct {
		status  int
		key     string
		success bool
	}{
		{http.StatusInternalServerError, "500 Internal Server Error", false},
		{http.StatusNotFound, "404 Not Found", false},
		{http.StatusBadRequest, "400 Bad Request", false},
		{http.StatusAccepted, "202 Accepted", true},
		{http.StatusMovedPermanently, "301 Moved Permanently", false},
		{http.StatusFound, "302 Found", false},
		{http.StatusSeeOther, "303 See Other", false},
		{http.StatusNotModified, "304 Not Modified", false},
		{http.StatusTemporaryRedirect, "307 Temporary Redirect", false}, // no Location: nothing to follow
		{http.StatusPermanentRedirect, "308 Permanent Redirect", false},
	} {
		t.Run(tc.key, func(t *testing.T) {
			g := gomega.NewWithT(t)
			rc := newReceiver(t, always(tc.status))
			n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Threshold: threshold, Backoff: forever}))
			pushTwo(n)
			if tc.success {
				g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{
					Events: 2, Successes: 2, Statuses: map[string]int{tc.key: 2},
				}))
				g.Expect(rc.seen()).To(gomega.HaveLen(2))
				return
			}
			// threshold attempts at once, then nothing for a backoff
			want := EndpointMetrics{Pending: 2, Events: 2, Failures: threshold, Statuses: map[string]int{tc.key: threshold}}
			g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(want))
			g.Consistently(metricsOf(n, "test"), 200*time.Millisecond).Should(gomega.Equal(want))
			ids := rc.ids()
			g.Expect(ids).To(gomega.HaveLen(threshold))
			g.Expect(ids[1]).To(gomega.Equal(ids[0]), "the head event is retried, the second waits")
		})
	}
}

// countingDialer counts connection attempts that failed, to check Errors
// against what happened on the wire.
type countingDialer struct {
	failed atomic.Int64
	d      net.Dialer
}

func (c *countingDialer) client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := c.d.DialContext(ctx, network, addr)
		if err != nil {
			c.failed.Add(1)
		}
		return conn, err
	}
	return &http.Client{Transport: tr}
}

// freeAddr is a loopback address nothing listens on (for now).
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestRefused(t *testing.T) {
	g := gomega.NewWithT(t)
	dialer := &countingDialer{}
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: "http://" + freeAddr(t) + "/callback", Threshold: threshold, Backoff: forever}),
		WithHTTPClient(dialer.client()))
	pushTwo(n)

	want := EndpointMetrics{Pending: 2, Events: 2, Errors: threshold, Statuses: map[string]int{}}
	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(want))
	g.Consistently(metricsOf(n, "test"), 200*time.Millisecond).Should(gomega.Equal(want))
	g.Expect(dialer.failed.Load()).To(gomega.BeEquivalentTo(threshold))
}

// TestRetryPace: after threshold immediate attempts, one attempt per
// backoff and no faster (a lower bound on the gaps, so never flaky).
func TestRetryPace(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusInternalServerError))
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Threshold: threshold, Backoff: backoff}))
	n.Notify(context.Background(), blobPush("test/repo", 1))

	g.Eventually(func() int { return len(rc.seen()) }).Should(gomega.BeNumerically(">=", threshold+3))
	seen := rc.seen()
	for i := threshold; i < len(seen); i++ {
		g.Expect(seen[i].at.Sub(seen[i-1].at)).To(gomega.BeNumerically(">=", backoff), "attempt %d came early", i+1)
	}
	g.Eventually(func() int { return n.Metrics()["test"].Failures }).Should(gomega.BeNumerically(">=", threshold+3))
}

// TestSlowerThanTimeout: an attempt the receiver does not answer within
// timeout counts in Errors, and the retry re-sends the same id.
func TestSlowerThanTimeout(t *testing.T) {
	g := gomega.NewWithT(t)
	const hangs = 3
	rc := newReceiver(t, func(i int, r *http.Request) int {
		if i < hangs {
			hangUntilGivenUp(r)
		}
		return http.StatusOK
	})
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Timeout: 100 * time.Millisecond, Threshold: threshold, Backoff: backoff}))
	n.Notify(context.Background(), blobPush("test/repo", 1))

	g.Eventually(metricsOf(n, "test"), 5*time.Second).Should(gomega.Equal(EndpointMetrics{
		Events: 1, Successes: 1, Errors: hangs, Statuses: map[string]int{"200 OK": 1},
	}))
	ids := rc.ids()
	g.Expect(ids).To(gomega.HaveLen(hangs + 1))
	for _, id := range ids {
		g.Expect(id).To(gomega.Equal(ids[0]), "a retry re-sends the same id")
	}
}

// TestRecoveryFIFO: a failing receiver recovers; the head event goes
// first, then the rest in order, and every counter is exact.
func TestRecoveryFIFO(t *testing.T) {
	g := gomega.NewWithT(t)
	const failing = 5
	rc := newReceiver(t, func(i int, _ *http.Request) int {
		if i < failing {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Threshold: threshold, Backoff: backoff}))
	var want []string
	for i := range 3 {
		n.Notify(context.Background(), blobPush("test/repo", i))
	}
	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{
		Events: 3, Successes: 3, Failures: failing,
		Statuses: map[string]int{"500 Internal Server Error": failing, "200 OK": 3},
	}))
	m := n.Metrics()["test"]
	g.Expect([]int{m.Retries, m.Batches}).To(gomega.Equal([]int{failing, 3}), "Retries, Batches")
	ids := rc.ids()
	g.Expect(ids).To(gomega.HaveLen(failing + 3))
	head := ids[0]
	for i := 0; i <= failing; i++ {
		want = append(want, head)
	}
	want = append(want, ids[failing+1:]...)
	g.Expect(ids).To(gomega.Equal(want), "the head event is retried until delivered")
	g.Expect(ids[failing+1]).NotTo(gomega.Equal(ids[failing+2]))
	g.Expect(ids[failing+1:]).NotTo(gomega.ContainElement(head))
	// ids are UUIDv7: time-ordered, so FIFO means sorted
	g.Expect(ids[failing] < ids[failing+1] && ids[failing+1] < ids[failing+2]).To(gomega.BeTrue(), "FIFO order: %v", ids)
}

// TestRefusedThenUp: the endpoint comes up at the address that refused;
// the queue drains in order and Errors equals the refused connections.
func TestRefusedThenUp(t *testing.T) {
	g := gomega.NewWithT(t)
	addr := freeAddr(t)
	dialer := &countingDialer{}
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: "http://" + addr + "/callback", Threshold: threshold, Backoff: backoff}),
		WithHTTPClient(dialer.client()))
	for i := range 3 {
		n.Notify(context.Background(), blobPush("test/repo", i))
	}
	g.Eventually(func() int { return n.Metrics()["test"].Errors }).Should(gomega.BeNumerically(">=", threshold+1))
	g.Expect(n.Metrics()["test"].Pending).To(gomega.Equal(3))

	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening again on %s, which refused until now: %v", addr, err)
	}
	rc := &receiver{t: t, answer: always(http.StatusOK)}
	rc.srv = httptest.NewUnstartedServer(rc)
	rc.srv.Listener.Close()
	rc.srv.Listener = l
	rc.srv.Start()
	t.Cleanup(rc.srv.Close)

	g.Eventually(func() int { return n.Metrics()["test"].Pending }).Should(gomega.Equal(0))
	m := n.Metrics()["test"]
	g.Expect(m.Errors).To(gomega.BeEquivalentTo(dialer.failed.Load()))
	g.Expect(m).To(gomega.Equal(EndpointMetrics{Events: 3, Successes: 3, Errors: m.Errors, Statuses: map[string]int{"200 OK": 3},
		Retries: m.Errors, Batches: 3}), "every refused attempt was retried")
	ids := rc.ids()
	g.Expect(ids).To(gomega.HaveLen(3))
	g.Expect(ids[0] < ids[1] && ids[1] < ids[2]).To(gomega.BeTrue(), "FIFO order: %v", ids)
}
