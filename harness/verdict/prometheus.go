package verdict

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/observe"
)

// PrometheusChecks compares an endpoint's /metrics series with its
// /debug/vars counters: two exports of one set of numbers must agree.
// retrying says the endpoint is still making attempts (a receiver down for
// good): /metrics is read after /debug/vars, so its attempt counters
// (Successes, Failures, Errors, Statuses) may be ahead, never behind.
func PrometheusChecks(name string, m endpoint.EndpointMetrics, prom map[string]float64, retrying bool) []Check {
	if len(prom) == 0 {
		return nil
	}
	got := map[string]int{}
	found := false
	for k, v := range prom {
		s, ok := observe.ParseSeries(k)
		if !ok || s.Labels["endpoint"] != name {
			continue
		}
		found = true
		switch s.Metric {
		case "registry_notifications_events_total":
			got[s.Labels["type"]] = int(v)
		case "registry_notifications_pending_total":
			got["Pending"] = int(v)
		case "registry_notifications_status_total":
			got["Statuses["+s.Labels["code"]+"]"] = int(v)
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
	names := append([]string{"Events", "Successes", "Failures", "Errors", "Pending"}, slices.Sorted(maps.Keys(codes))...)
	for _, n := range names {
		want, _ := m.Counter(n)
		ok, note := got[n] == want, "/metrics must agree with /debug/vars"
		if retrying && n != "Events" && n != "Pending" {
			ok, note = got[n] >= want, "attempts still under way, /metrics read after /debug/vars: /metrics >= /debug/vars"
		}
		out = append(out, Check{Endpoint: name, Kind: KindReconcile, Name: "Prometheus " + n, Registry: fmt.Sprint(want), Observed: fmt.Sprintf("%d in /metrics", got[n]),
			OK: ok, Note: note})
	}
	return out
}
