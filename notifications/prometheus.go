package notifications

import "github.com/prometheus/client_golang/prometheus"

// collector exports every endpoint's EndpointMetrics with Distribution's
// series names. It reads the same counters as /debug/vars at scrape time,
// so the two can never disagree.
type collector struct {
	n       *Notifier
	events  *prometheus.Desc
	pending *prometheus.Desc
	status  *prometheus.Desc
	oldest  *prometheus.Desc
	bytes   *prometheus.Desc
}

func newCollector(n *Notifier) *collector {
	return &collector{
		n: n,
		events: prometheus.NewDesc("registry_notifications_events_total",
			"The number of total events", []string{"endpoint", "type"}, nil),
		pending: prometheus.NewDesc("registry_notifications_pending_total",
			"The gauge of pending events in queue", []string{"endpoint"}, nil),
		status: prometheus.NewDesc("registry_notifications_status_total",
			"The number of webhook response status", []string{"endpoint", "code"}, nil),
		oldest: prometheus.NewDesc("registry_notifications_oldest_pending_seconds",
			"Age of the oldest undelivered event (endpoints with delivery settings)", []string{"endpoint"}, nil),
		bytes: prometheus.NewDesc("registry_notifications_queue_bytes",
			"Size of the disk queue file (endpoints with delivery settings)", []string{"endpoint"}, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.events
	ch <- c.pending
	ch <- c.status
	ch <- c.oldest
	ch <- c.bytes
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, ep := range c.n.endpoints {
		m := ep.metrics.snapshot()
		name := ep.cfg.Name
		for _, v := range []struct {
			typ string
			n   int
		}{{"Events", m.Events}, {"Successes", m.Successes}, {"Failures", m.Failures}, {"Errors", m.Errors}} {
			ch <- prometheus.MustNewConstMetric(c.events, prometheus.CounterValue, float64(v.n), name, v.typ)
		}
		if ep.extended { // series of ours only for endpoints with a Delivery setting
			for _, v := range []struct {
				typ string
				n   int
			}{{"DeadLettered", m.DeadLettered}, {"Retries", m.Retries}, {"Batches", m.Batches}} {
				ch <- prometheus.MustNewConstMetric(c.events, prometheus.CounterValue, float64(v.n), name, v.typ)
			}
			ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, ep.oldestPendingAge().Seconds(), name)
			ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(ep.queueBytes()), name)
		}
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(m.Pending), name)
		for code, n := range m.Statuses {
			ch <- prometheus.MustNewConstMetric(c.status, prometheus.CounterValue, float64(n), name, code)
		}
	}
}
