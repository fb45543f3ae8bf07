package harness

import (
	"fmt"
	"strings"
)

// promSeries is one parsed Prometheus sample name: metric and labels.
type promSeries struct {
	metric string
	labels map[string]string
}

func parseSeries(s string) (promSeries, bool) {
	name, rest, ok := strings.Cut(s, "{")
	if !ok {
		return promSeries{metric: s}, true
	}
	rest, ok = strings.CutSuffix(rest, "}")
	if !ok {
		return promSeries{}, false
	}
	p := promSeries{metric: name, labels: map[string]string{}}
	for rest != "" {
		k, after, ok := strings.Cut(rest, `="`)
		if !ok {
			return promSeries{}, false
		}
		v, after, ok := strings.Cut(after, `"`)
		if !ok {
			return promSeries{}, false
		}
		p.labels[strings.TrimSpace(k)] = v
		rest = strings.TrimPrefix(after, ",")
	}
	return p, true
}

// PrometheusChecks compares an endpoint's /metrics series with its
// /debug/vars counters: two exports of one set of numbers must agree.
func PrometheusChecks(endpoint string, m EndpointMetrics, prom map[string]float64) []Check {
	if len(prom) == 0 {
		return nil
	}
	got := map[string]int{}
	found := false
	for k, v := range prom {
		s, ok := parseSeries(k)
		if !ok || s.labels["endpoint"] != endpoint {
			continue
		}
		found = true
		switch s.metric {
		case "registry_notifications_events_total":
			got[s.labels["type"]] = int(v)
		case "registry_notifications_pending_total":
			got["Pending"] = int(v)
		case "registry_notifications_status_total":
			got["Statuses["+s.labels["code"]+"]"] = int(v)
		}
	}
	if !found {
		return nil
	}
	var out []Check
	codes := map[string]bool{}
	for k := range m.Statuses {
		codes["Statuses["+k+"]"] = true
	}
	for k := range got {
		if strings.HasPrefix(k, "Statuses[") {
			codes[k] = true
		}
	}
	names := append([]string{"Events", "Successes", "Failures", "Errors", "Pending"}, sortedKeys(codes)...)
	for _, n := range names {
		want, _ := m.Counter(n)
		out = append(out, Check{Name: "Prometheus " + n, Registry: fmt.Sprint(want), Observed: fmt.Sprintf("%d in /metrics", got[n]),
			OK: got[n] == want, Note: "/metrics must agree with /debug/vars"})
	}
	return out
}
