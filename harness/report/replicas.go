package report

import (
	"fmt"
	"io"
	"text/tabwriter"

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
