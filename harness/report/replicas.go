package report

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/hookbench/hookbench/harness"
)

// replicas writes a clustered registry's topology and each replica's own
// counters at the last sample (the endpoint table above shows their sums).
func replicas(w io.Writer, r *harness.Result) {
	if len(r.Replicas) == 0 || len(r.Samples) == 0 {
		return
	}
	last := r.Samples[len(r.Samples)-1]
	pending := "Pending summed"
	if r.Topology.SharedPending() {
		pending = "Pending cluster-wide, taken once"
	}
	fmt.Fprintf(w, "topology: %s; per replica at the last sample (%s):\n", r.Topology, pending)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "replica\tendpoint\tPending\tEvents\tSuccesses\tFailures\tErrors\tStatuses\t")
	for _, rp := range last.Replicas {
		note := ""
		if rp.Error != "" {
			note = "not answering: " + clip(rp.Error, 60)
			if rp.Stale {
				note += " (last counters kept)"
			}
		}
		for _, name := range r.Endpoints {
			m := rp.Endpoints[name]
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", rp.Name, name, m.Pending, m.Events, m.Successes, m.Failures, m.Errors, statuses(m.Statuses), note)
		}
	}
	tw.Flush()
}
