package notifications

import (
	"context"
	"github.com/hookbench/hookbench/internal/wire"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// TestDeadLetterAfterMaxAttempts: one repository's events always fail;
// each is set aside after maxattempts, logged to the file, and everything
// else is delivered (no head-of-line block). Replaying the log later
// delivers them with their original ids.
func TestDeadLetterAfterMaxAttempts(t *testing.T) {
	g := gomega.NewWithT(t)
	var healthy atomic.Bool
	var rc *receiver
	rc = newReceiver(t, func(n int, _ *http.Request) int {
		if !healthy.Load() && strings.Contains(string(rc.seen()[n].body), `"repository":"poison"`) {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Delivery: Delivery{
		Retry:      Retry{MaxAttempts: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
		DeadLetter: DeadLetter{Path: path},
	}}))
	for i := range 4 {
		n.Notify(context.Background(), blobPush("poison", i))
		n.Notify(context.Background(), blobPush("fine", i))
	}
	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{
		Events: 8, Successes: 4, Failures: 12, DeadLettered: 4,
		Statuses: map[string]int{"500 Internal Server Error": 12, "200 OK": 4},
	}))

	f, err := os.Open(path)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	defer f.Close()
	recs, err := ReadDeadLetters(f)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(recs).To(gomega.HaveLen(4))
	var ids []string
	for _, r := range recs {
		g.Expect(r.Attempts).To(gomega.Equal(3))
		g.Expect(r.Endpoint).To(gomega.Equal("test"))
		g.Expect(r.Error).To(gomega.ContainSubstring("500 Internal Server Error"))
		g.Expect(r.Events).To(gomega.HaveLen(1))
		g.Expect(r.Events[0].Target.Repository).To(gomega.Equal("poison"))
		ids = append(ids, r.Events[0].ID)
	}

	healthy.Store(true)
	for _, r := range recs {
		g.Expect(n.Requeue("test", r.Events)).To(gomega.Succeed())
	}
	g.Eventually(func() int { return n.Metrics()["test"].Successes }).Should(gomega.Equal(8))
	got := rc.ids()
	g.Expect(got[len(got)-4:]).To(gomega.Equal(ids), "replayed with their original ids, in order")
	g.Expect(n.Requeue("nope", nil)).To(gomega.MatchError(gomega.ContainSubstring(`"nope"`)))
}

// TestDeadLetterOn4xx: a 4xx is given up on at once, but 408 and 429
// (the receiver asking to be retried) are retried.
func TestDeadLetterOn4xx(t *testing.T) {
	for _, tc := range []struct {
		status   int
		attempts int // before success on the 3rd POST, or 1 when dead-lettered
		dead     bool
	}{
		{http.StatusBadRequest, 1, true},
		{http.StatusUnauthorized, 1, true},
		{http.StatusTooManyRequests, 3, false},
		{http.StatusRequestTimeout, 3, false},
		{http.StatusInternalServerError, 3, false},
	} {
		t.Run(wire.StatusKey(tc.status), func(t *testing.T) {
			g := gomega.NewWithT(t)
			rc := newReceiver(t, func(i int, _ *http.Request) int {
				if i < 2 {
					return tc.status
				}
				return http.StatusOK
			})
			n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Threshold: threshold, Backoff: backoff, Delivery: Delivery{DeadLetter: DeadLetter{On4xx: true}}}))
			n.Notify(context.Background(), blobPush("test/repo", 1))
			want := EndpointMetrics{Events: 1, Successes: 1, Failures: 2, Statuses: map[string]int{wire.StatusKey(tc.status): 2, "200 OK": 1}}
			if tc.dead {
				want = EndpointMetrics{Events: 1, DeadLettered: 1, Failures: 1, Statuses: map[string]int{wire.StatusKey(tc.status): 1}}
			}
			g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(want))
			g.Expect(rc.seen()).To(gomega.HaveLen(tc.attempts))
		})
	}
}

func TestDeadLetterMaxAgeAndVars(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusServiceUnavailable))
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Threshold: threshold, Backoff: forever, Delivery: Delivery{Retry: Retry{MaxAge: time.Nanosecond}}}))
	n.Notify(context.Background(), blobPush("test/repo", 1))
	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{
		Events: 1, DeadLettered: 1, Failures: 1, Statuses: map[string]int{"503 Service Unavailable": 1},
	}))
	ep := n.Vars().(NotificationsVars).Endpoints[0]
	g.Expect(*ep.Metrics.DeadLettered).To(gomega.Equal(1))
}

func TestExponentialBackoffWithJitter(t *testing.T) {
	g := gomega.NewWithT(t)
	r := &retryingSink{policy: Retry{Backoff: 10 * time.Millisecond, MaxBackoff: 80 * time.Millisecond}}
	g.Expect(r.wait()).To(gomega.BeZero(), "first attempt at once")
	for failures, full := range map[int]time.Duration{1: 10, 2: 20, 3: 40, 4: 80, 5: 80, 40: 80} {
		r.failures = failures
		for range 50 {
			w := r.wait()
			g.Expect(w).To(gomega.And(gomega.BeNumerically(">=", full*time.Millisecond/2), gomega.BeNumerically("<=", full*time.Millisecond)),
				"after %d failures", failures)
		}
	}
}

func TestReadDeadLettersReportsDamage(t *testing.T) {
	g := gomega.NewWithT(t)
	log := `{"endpoint":"a","attempts":1,"events":[{"id":"x"}]}` + "\n" + `{"endpoint":"a","att` + "\n" + `{"endpoint":"b","attempts":2,"events":[]}` + "\n"
	recs, err := ReadDeadLetters(strings.NewReader(log))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("line 2")))
	g.Expect(recs).To(gomega.HaveLen(2), "intact records around the damage are kept")
}
