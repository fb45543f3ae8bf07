package notifications

import (
	"context"
	"net/http"
	"testing"

	"github.com/onsi/gomega"
)

// The fault hooks must produce exactly the wrong counters the harness's
// self-test expects to catch.

func TestFaultDropOneIn(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusOK))
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url()}), WithFaults(Faults{DropOneIn: 3}))
	for i := range 9 {
		n.Notify(context.Background(), blobPush("test/repo", i))
	}
	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{Events: 6, Successes: 6, Statuses: map[string]int{"200 OK": 6}}))
	g.Expect(rc.ids()).To(gomega.HaveLen(6))
}

func TestFaultForgetPendingDecrement(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusOK))
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url()}), WithFaults(Faults{ForgetPendingDecrement: true}))
	pushTwo(n)
	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{Events: 2, Pending: 2, Successes: 2, Statuses: map[string]int{"200 OK": 2}}))
}

func TestFaultCountFailureAsSuccess(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, func(i int, _ *http.Request) int {
		if i < 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Threshold: threshold, Backoff: backoff}), WithFaults(Faults{CountFailureAsSuccess: true}))
	n.Notify(context.Background(), blobPush("test/repo", 1))
	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{
		Events: 1, Successes: 3, Statuses: map[string]int{"500 Internal Server Error": 2, "200 OK": 1},
	}))
	g.Expect(rc.ids()).To(gomega.HaveLen(3), "the failure is still retried: only the counting is wrong")
}
