package notifications

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hookbench/hookbench/registry"
)

func actionsOf(rc *receiver) []string {
	var out []string
	for _, a := range rc.seen() {
		var env Envelope
		_ = jsonUnmarshal(a.body, &env)
		for _, e := range env.Events {
			out = append(out, e.Action+" "+e.Target.MediaType)
		}
	}
	return out
}

func pullManifest() registry.Action {
	a := manifestPush("test/repo", "latest")
	a.Verb = registry.Pull
	a.Request.Method = http.MethodHead
	return a
}

func deleteTag() registry.Action {
	return registry.Action{Verb: registry.Delete, Object: registry.Tag, Repository: "test/repo", Tag: "latest", Request: requestInfo(http.MethodDelete)}
}

func TestIgnoreMediaTypeListsCombine(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusOK))
	n := newNotifier(t, oneEndpoint(EndpointConfig{
		URL:               rc.url(),
		IgnoredMediaTypes: []string{"application/octet-stream"},
		Ignore:            Ignore{MediaTypes: []string{"application/vnd.oci.image.manifest.v1+json"}},
	}))
	pushTwo(n)                                       // blob and manifest: both ignored
	n.Notify(context.Background(), deleteTag())      // media type "": delivered
	n.Notify(context.Background(), blobPush("x", 9)) // ignored
	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{
		Events: 1, Successes: 1, Statuses: map[string]int{"200 OK": 1},
	}), "ignored events are never counted")
	g.Expect(actionsOf(rc)).To(gomega.Equal([]string{"delete "}))
}

// TestIgnoreActionsAlone: ignore.actions works without any media type
// (Distribution's filter skipped it then: distribution#4729).
func TestIgnoreActionsAlone(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusOK))
	n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Ignore: Ignore{Actions: []string{"pull", "delete"}}}))
	n.Notify(context.Background(), pullManifest())
	n.Notify(context.Background(), deleteTag())
	n.Notify(context.Background(), blobPush("test/repo", 1))
	g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(EndpointMetrics{
		Events: 1, Successes: 1, Statuses: map[string]int{"200 OK": 1},
	}))
	g.Expect(actionsOf(rc)).To(gomega.Equal([]string{"push application/octet-stream"}))
}

// TestDeadEndpointIsolated: an endpoint that never answers neither slows
// Notify nor another endpoint.
func TestDeadEndpointIsolated(t *testing.T) {
	g := gomega.NewWithT(t)
	dead := newReceiver(t, func(_ int, r *http.Request) int { hangUntilGivenUp(r); return http.StatusOK })
	live := newReceiver(t, always(http.StatusOK))
	n := newNotifier(t, Config{Endpoints: []EndpointConfig{
		{Name: "dead", URL: dead.url(), Timeout: time.Minute},
		{Name: "live", URL: live.url()},
	}})
	const events = 50
	for i := range events {
		n.Notify(context.Background(), blobPush("test/repo", i))
	}
	g.Eventually(metricsOf(n, "live")).Should(gomega.Equal(EndpointMetrics{
		Events: events, Successes: events, Statuses: map[string]int{"200 OK": events},
	}))
	g.Expect(metricsOf(n, "dead")()).To(gomega.Equal(EndpointMetrics{Events: events, Pending: events, Statuses: map[string]int{}}))
	g.Expect(dead.seen()).To(gomega.HaveLen(1), "the dead endpoint holds its head event")
}

// gathered reads one registry's notification series as "name{labels} value".
func gathered(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			out[mf.GetName()+"{"+strings.Join(labels, ",")+"}"] = value(m)
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// TestTwoNotifiersKeepSeparateMetrics: two registries in one process share
// no counters and no Prometheus registry.
func TestTwoNotifiersKeepSeparateMetrics(t *testing.T) {
	g := gomega.NewWithT(t)
	ok := newReceiver(t, always(http.StatusOK))
	bad := newReceiver(t, always(http.StatusInternalServerError))
	a := newNotifier(t, oneEndpoint(EndpointConfig{Name: "hook", URL: ok.url()}))
	b := newNotifier(t, oneEndpoint(EndpointConfig{Name: "hook", URL: bad.url(), Threshold: 1, Backoff: forever}))
	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	g.Expect(a.Register(regA)).To(gomega.Succeed())
	g.Expect(b.Register(regB)).To(gomega.Succeed())

	pushTwo(a)
	b.Notify(context.Background(), blobPush("other", 1))

	g.Eventually(metricsOf(a, "hook")).Should(gomega.Equal(EndpointMetrics{Events: 2, Successes: 2, Statuses: map[string]int{"200 OK": 2}}))
	g.Eventually(metricsOf(b, "hook")).Should(gomega.Equal(EndpointMetrics{Events: 1, Pending: 1, Failures: 1, Statuses: map[string]int{"500 Internal Server Error": 1}}))

	g.Expect(gathered(t, regA)).To(gomega.Equal(map[string]float64{
		"registry_notifications_events_total{endpoint=hook,type=Events}":    2,
		"registry_notifications_events_total{endpoint=hook,type=Successes}": 2,
		"registry_notifications_events_total{endpoint=hook,type=Failures}":  0,
		"registry_notifications_events_total{endpoint=hook,type=Errors}":    0,
		"registry_notifications_pending_total{endpoint=hook}":               0,
		"registry_notifications_status_total{code=200 OK,endpoint=hook}":    2,
	}))
	g.Expect(gathered(t, regB)).To(gomega.Equal(map[string]float64{
		"registry_notifications_events_total{endpoint=hook,type=Events}":                    1,
		"registry_notifications_events_total{endpoint=hook,type=Successes}":                 0,
		"registry_notifications_events_total{endpoint=hook,type=Failures}":                  1,
		"registry_notifications_events_total{endpoint=hook,type=Errors}":                    0,
		"registry_notifications_pending_total{endpoint=hook}":                               1,
		"registry_notifications_status_total{code=500 Internal Server Error,endpoint=hook}": 1,
	}))
	// one registry per registry instance: a second Notifier on it is refused
	g.Expect(b.Register(regA)).NotTo(gomega.Succeed())
}
