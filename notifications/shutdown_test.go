package notifications

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// TestShutdownDeliversPending: pending events still go out while the
// drain time lasts, and nothing is reported dropped.
func TestShutdownDeliversPending(t *testing.T) {
	g := gomega.NewWithT(t)
	release := make(chan struct{})
	rc := newReceiver(t, func(i int, _ *http.Request) int {
		if i == 0 {
			<-release // hold the first POST so the rest stay queued
		}
		return http.StatusOK
	})
	logs := &logBuffer{}
	n, err := New(oneEndpoint(EndpointConfig{URL: rc.url()}), WithLogger(logs.logger()))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	for i := range 10 {
		n.Notify(context.Background(), blobPush("test/repo", i))
	}
	g.Eventually(func() int { return len(rc.seen()) }).Should(gomega.Equal(1))
	g.Expect(n.Metrics()["test"].Pending).To(gomega.Equal(10))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan map[string]int)
	go func() { done <- n.Shutdown(ctx) }()
	close(release)
	g.Eventually(done).Should(gomega.Receive(gomega.Equal(map[string]int{"test": 0})))
	g.Expect(rc.ids()).To(gomega.HaveLen(10))
	g.Expect(metricsOf(n, "test")()).To(gomega.Equal(EndpointMetrics{Events: 10, Successes: 10, Statuses: map[string]int{"200 OK": 10}}))
	g.Expect(logs.lines("drained")).To(gomega.HaveLen(1))
}

// TestShutdownReportsDropped: what a dead endpoint could not take by the
// deadline is counted and logged per endpoint, never dropped silently;
// a healthy endpoint beside it reports zero.
func TestShutdownReportsDropped(t *testing.T) {
	g := gomega.NewWithT(t)
	ok := newReceiver(t, always(http.StatusOK))
	logs := &logBuffer{}
	n, err := New(Config{Endpoints: []EndpointConfig{
		{Name: "dead", URL: "http://" + freeAddr(t) + "/", Threshold: 1, Backoff: forever},
		{Name: "ok", URL: ok.url()},
	}}, WithLogger(logs.logger()))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	for i := range 3 {
		n.Notify(context.Background(), blobPush("test/repo", i))
	}
	g.Eventually(func() int { return n.Metrics()["ok"].Successes }).Should(gomega.Equal(3))

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	g.Expect(n.Shutdown(ctx)).To(gomega.Equal(map[string]int{"dead": 3, "ok": 0}))
	lines := logs.lines("shutdown dropped undelivered events")
	g.Expect(lines).To(gomega.HaveLen(1))
	g.Expect(lines[0]).To(gomega.And(gomega.ContainSubstring("endpoint=dead"), gomega.ContainSubstring("dropped=3")))

	// after Shutdown: refused, logged, not queued
	n.Notify(context.Background(), blobPush("test/repo", 99))
	g.Expect(n.Metrics()["ok"].Events).To(gomega.Equal(3))
	g.Expect(logs.lines("shutting down, event dropped")).To(gomega.HaveLen(1))
	g.Expect(n.Shutdown(ctx)).To(gomega.Equal(map[string]int{"dead": 3, "ok": 0}), "a second Shutdown reports the same")
}

// TestShutdownCancelsInFlight: an attempt hung on a receiver does not hold
// Shutdown past its deadline, and is not counted as the endpoint's error.
func TestShutdownCancelsInFlight(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, func(_ int, r *http.Request) int { hangUntilGivenUp(r); return http.StatusOK })
	n, err := New(oneEndpoint(EndpointConfig{URL: rc.url(), Timeout: time.Minute}), WithLogger(discardLogger()))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	n.Notify(context.Background(), blobPush("test/repo", 1))
	g.Eventually(func() int { return len(rc.seen()) }).Should(gomega.Equal(1))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan map[string]int)
	go func() { done <- n.Shutdown(ctx) }()
	g.Eventually(done, 5*time.Second).Should(gomega.Receive(gomega.Equal(map[string]int{"test": 1})))
	g.Expect(metricsOf(n, "test")()).To(gomega.Equal(EndpointMetrics{Events: 1, Pending: 1, Statuses: map[string]int{}}))
}
