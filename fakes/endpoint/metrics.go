package endpoint

import (
	"fmt"
	"github.com/hookbench/hookbench/internal/wire"
	"maps"
	"slices"
	"strings"
)

// EndpointMetrics are one endpoint's counters as a registry reports them in
// /debug/vars (Distribution's names and meanings): the registry's side of
// what this receiver witnessed. The harness reads them with this type and
// compares them with Stats, keyed by the same StatusKey.
type EndpointMetrics struct {
	Pending   int            `json:"Pending"`
	Events    int            `json:"Events"`
	Successes int            `json:"Successes"`
	Failures  int            `json:"Failures"`
	Errors    int            `json:"Errors"`
	Statuses  map[string]int `json:"Statuses"`
	// Ours, only for endpoints with opt-in delivery settings.
	DeadLettered int `json:"DeadLettered,omitempty"`
	Retries      int `json:"Retries,omitempty"`
	Batches      int `json:"Batches,omitempty"`
}

// CounterNames lists the names Counter knows, for error messages.
const CounterNames = "Pending, Events, Successes, Failures, Errors, DeadLettered, Retries, Batches, Statuses[<code> <text>]"

// Counter returns a named counter of m: "Pending", "Events", ...,
// or "Statuses[<code> <text>]".
func (m EndpointMetrics) Counter(name string) (int, error) {
	switch name {
	case "Pending":
		return m.Pending, nil
	case "Events":
		return m.Events, nil
	case "Successes":
		return m.Successes, nil
	case "Failures":
		return m.Failures, nil
	case "Errors":
		return m.Errors, nil
	case "DeadLettered":
		return m.DeadLettered, nil
	case "Retries":
		return m.Retries, nil
	case "Batches":
		return m.Batches, nil
	}
	if k, ok := strings.CutPrefix(name, "Statuses["); ok && strings.HasSuffix(k, "]") {
		return m.Statuses[strings.TrimSuffix(k, "]")], nil
	}
	return 0, fmt.Errorf("unknown counter %q (%s)", name, CounterNames)
}

func (m EndpointMetrics) String() string {
	st := make([]string, 0, len(m.Statuses))
	for _, k := range slices.Sorted(maps.Keys(m.Statuses)) {
		st = append(st, fmt.Sprintf("%q: %d", k, m.Statuses[k]))
	}
	return fmt.Sprintf("Pending=%d Events=%d Successes=%d Failures=%d Errors=%d Statuses={%s}",
		m.Pending, m.Events, m.Successes, m.Failures, m.Errors, strings.Join(st, ", "))
}

// StatusKey is the Statuses key for a code, exactly as the registry writes
// it: "500 Internal Server Error" (a trailing space for unknown codes).
var StatusKey = wire.StatusKey
