package observe

import "strings"

// Series is one parsed Prometheus sample name: metric and labels.
type Series struct {
	Metric string
	Labels map[string]string
}

// ParseSeries parses `metric{k="v",...}`.
func ParseSeries(s string) (Series, bool) {
	name, rest, ok := strings.Cut(s, "{")
	if !ok {
		return Series{Metric: s}, true
	}
	rest, ok = strings.CutSuffix(rest, "}")
	if !ok {
		return Series{}, false
	}
	p := Series{Metric: name, Labels: map[string]string{}}
	for rest != "" {
		k, after, ok := strings.Cut(rest, `="`)
		if !ok {
			return Series{}, false
		}
		v, after, ok := strings.Cut(after, `"`)
		if !ok {
			return Series{}, false
		}
		p.Labels[strings.TrimSpace(k)] = v
		rest = strings.TrimPrefix(after, ",")
	}
	return p, true
}
