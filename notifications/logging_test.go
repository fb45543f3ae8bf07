package notifications

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// TestFailedWritesLogRateLimited: a dead endpoint retried in a tight loop
// logs one line per interval, naming sink, URL and error and saying it
// retries, with the count of lines held back.
func TestFailedWritesLogRateLimited(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusServiceUnavailable))
	logs := &logBuffer{}
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Threshold: 1 << 30}), // retry at once, forever
		WithLogger(logs.logger()), WithLogInterval(time.Hour))
	n.Notify(context.Background(), blobPush("test/repo", 1))

	g.Eventually(func() int { return n.Metrics()["test"].Failures }).Should(gomega.BeNumerically(">=", 50))
	lines := logs.lines("retryingsink")
	g.Expect(lines).To(gomega.HaveLen(1))
	for _, want := range []string{"level=ERROR", "retrying", "sink=httpSink{" + rc.url() + "}", "url=" + rc.url(), "503 Service Unavailable", "endpoint=test", "suppressed=0"} {
		g.Expect(lines[0]).To(gomega.ContainSubstring(want))
	}
}

func TestLogThrottleCountsSuppressed(t *testing.T) {
	g := gomega.NewWithT(t)
	now := time.Unix(0, 0)
	th := &logThrottle{interval: time.Second, now: func() time.Time { return now }}
	ok, s := th.allow()
	g.Expect([]any{ok, s}).To(gomega.Equal([]any{true, 0}))
	for range 7 {
		ok, _ = th.allow()
		g.Expect(ok).To(gomega.BeFalse())
	}
	now = now.Add(time.Second)
	ok, s = th.allow()
	g.Expect([]any{ok, s}).To(gomega.Equal([]any{true, 7}))
}
