package notifications

import (
	"net/http"
	"time"
)

// NotificationsVars is the value of registry.notifications in /debug/vars,
// laid out as Distribution's (shared/compat/debug-vars-registry.json).
type NotificationsVars struct {
	Endpoints []EndpointVars `json:"endpoints"`
}

// EndpointVars is one endpoint in /debug/vars: its name, URL, effective
// config and counters. Header values, the URL's password and its query
// values are redacted (Distribution shows them).
type EndpointVars struct {
	Name              string        `json:"name"`
	URL               string        `json:"url"`
	Headers           http.Header   `json:"Headers"`
	Timeout           time.Duration `json:"Timeout"` // nanoseconds
	Threshold         int           `json:"Threshold"`
	Backoff           time.Duration `json:"Backoff"` // nanoseconds
	IgnoredMediaTypes []string      `json:"IgnoredMediaTypes"`
	Ignore            Ignore        `json:"Ignore"`
	Metrics           MetricsVars   `json:"Metrics"`
}

// MetricsVars is EndpointMetrics as /debug/vars shows it.
type MetricsVars struct {
	Pending   int            `json:"Pending"`
	Events    int            `json:"Events"`
	Successes int            `json:"Successes"`
	Failures  int            `json:"Failures"`
	Errors    int            `json:"Errors"`
	Statuses  map[string]int `json:"Statuses"`

	// Ours, present only for endpoints with a Delivery setting, so a
	// Distribution-mode endpoint shows exactly Distribution's keys.
	DeadLettered     *int           `json:"DeadLettered,omitempty"`
	Retries          *int           `json:"Retries,omitempty"`
	Batches          *int           `json:"Batches,omitempty"`
	OldestPendingAge *time.Duration `json:"OldestPendingAge,omitempty"` // nanoseconds; 0 when empty
	QueueBytes       *int64         `json:"QueueBytes,omitempty"`       // disk queue file size; 0 in memory
}

// redacted keeps header names and how many values each has, not the values.
func redacted(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		r := make([]string, len(vs))
		for i := range r {
			r[i] = "<redacted>"
		}
		out[k] = r
	}
	return out
}

func (ep *endpoint) vars() EndpointVars {
	m := ep.metrics.snapshot()
	v := EndpointVars{
		Name:              ep.cfg.Name,
		URL:               ep.safeURL,
		Headers:           redacted(ep.cfg.Headers),
		Timeout:           ep.cfg.Timeout,
		Threshold:         ep.cfg.Threshold,
		Backoff:           ep.cfg.Backoff,
		IgnoredMediaTypes: ep.cfg.IgnoredMediaTypes,
		Ignore:            ep.cfg.Ignore,
		Metrics: MetricsVars{
			Pending: m.Pending, Events: m.Events, Successes: m.Successes,
			Failures: m.Failures, Errors: m.Errors, Statuses: m.Statuses,
		},
	}
	if ep.extended {
		age, size := ep.oldestPendingAge(), ep.queueBytes()
		v.Metrics.DeadLettered, v.Metrics.Retries, v.Metrics.Batches = &m.DeadLettered, &m.Retries, &m.Batches
		v.Metrics.OldestPendingAge, v.Metrics.QueueBytes = &age, &size
	}
	return v
}
