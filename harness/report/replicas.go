package report

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/observe"
)

// lastReplicas is each replica's part of the last sample, nil when the
// registry is not a cluster.
func lastReplicas(r *harness.Result) []observe.ReplicaSample {
	if len(r.Replicas) == 0 || len(r.Samples) == 0 {
		return nil
	}
	return r.Samples[len(r.Samples)-1].Replicas
}

// replicas writes a clustered registry's topology and each replica's own
// counters at the last sample (the endpoint table above shows their sums).
func replicas(w io.Writer, s *Summary) {
	if len(s.Replicas) == 0 {
		return
	}
	pending := "Pending summed"
	if s.Topology.SharedPending() {
		pending = "Pending cluster-wide, taken once"
	}
	fmt.Fprintf(w, "topology: %s; per replica at the last sample (%s):\n", s.Topology, pending)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "replica\tendpoint\tPending\tEvents\tSuccesses\tFailures\tErrors\tStatuses\t")
	for _, rp := range s.Replicas {
		note := ""
		if rp.Error != "" {
			note = "not answering: " + clip(rp.Error, 60)
			if rp.Stale {
				note += " (last counters kept)"
			}
		}
		for _, e := range s.Endpoints {
			m := rp.Endpoints[e.Name]
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", rp.Name, e.Name, m.Pending, m.Events, m.Successes, m.Failures, m.Errors, statuses(m.Statuses), note)
		}
	}
	tw.Flush()
}

// replicaChart draws each replica's own Events (dashed) and Successes
// (solid) per endpoint, a gap where the replica did not answer: which
// replica accepted and which delivered, through kills and partitions.
func replicaChart(r *harness.Result, end float64) chart {
	var ps []points
	for j, rp := range r.Replicas {
		col := endpointColors[j%len(endpointColors)]
		for _, name := range r.Endpoints {
			for _, k := range []struct {
				what string
				dash []int
				get  func(endpoint.EndpointMetrics) float64
			}{
				{"Successes", nil, func(m endpoint.EndpointMetrics) float64 { return float64(m.Successes) }},
				{"Events", []int{6, 4}, func(m endpoint.EndpointMetrics) float64 { return float64(m.Events) }},
			} {
				var x, y []float64
				for _, s := range r.Samples {
					v := math.NaN()
					for _, rs := range s.Replicas {
						if rs.Name == rp.Name && rs.Error == "" {
							v = k.get(rs.Endpoints[name])
						}
					}
					x, y = append(x, since(r, s.At)), append(y, v)
				}
				ps = append(ps, points{s: series{Label: rp.Name + " " + name + " " + k.what, Color: col, Style: "line", Dash: k.dash, Width: 1.5}, x: x, y: y})
			}
		}
	}
	c := newChart("replicas", "Counters per replica ("+r.Topology.String()+")", "count", "", end, ps)
	c.Note = "Each replica's own counters, in its colour: Successes solid, Events (accepted) dashed; gaps where it did not answer " +
		"(killed, restarting, partitioned). A restarted replica starts again at 0. The other charts show the sums."
	return c
}
