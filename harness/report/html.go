package report

import (
	"fmt"
	"html"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness"
)

// maxPoints bounds a scatter plot's size; beyond it points are thinned evenly.
const maxPoints = 4000

// HTML writes a self-contained page (no external JS or CSS): verdict, the
// text table, and plots of push latency, delivery latency and Pending over
// time per endpoint.
func HTML(w io.Writer, r *harness.Result) error {
	var txt strings.Builder
	Text(&txt, r)
	verdict, color := "PASS", "#2ca02c"
	if err := r.Err(); err != nil {
		verdict, color = "FAIL", "#d62728"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>hookbench: %s</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1000px}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}
.v{color:#fff;background:%s;padding:.2em .6em;border-radius:4px}svg{display:block;margin:1em 0;border:1px solid #eee}</style></head><body>`,
		html.EscapeString(r.Scenario), color)
	fmt.Fprintf(&b, `<h1>%s <span class="v">%s</span></h1><p>%s</p><p>runtime %s, started %s, %s</p>`,
		html.EscapeString(r.Scenario), verdict, html.EscapeString(r.Description), html.EscapeString(r.Runtime),
		r.Started.UTC().Format(time.RFC3339), r.Duration.Round(time.Millisecond))
	b.WriteString(plot("Push latency over time", "seconds since start", "latency (ms)", pushSeries(r)))
	b.WriteString(plot("Delivery latency (event timestamp to first acceptance)", "seconds since start", "latency (ms)", deliverySeries(r)))
	b.WriteString(plot("Pending over time", "seconds since start", "Pending", pendingSeries(r)))
	b.WriteString(plot("Registry heap in use", "seconds since start", "MiB", memSeries(r)))
	if err := r.Err(); err != nil {
		fmt.Fprintf(&b, "<h2>Failures</h2><pre>%s</pre>", html.EscapeString(err.Error()))
	}
	fmt.Fprintf(&b, "<h2>Table</h2><pre>%s</pre></body></html>\n", html.EscapeString(txt.String()))
	_, err := io.WriteString(w, b.String())
	return err
}

func since(r *harness.Result, t time.Time) float64 { return t.Sub(r.Started).Seconds() }

func thin(s series) series {
	if len(s.X) <= maxPoints {
		return s
	}
	step := float64(len(s.X)) / maxPoints
	var out series
	out.Name, out.Points = s.Name, s.Points
	for i := 0.0; int(i) < len(s.X); i += step {
		out.X, out.Y = append(out.X, s.X[int(i)]), append(out.Y, s.Y[int(i)])
	}
	return out
}

func pushSeries(r *harness.Result) []series {
	var ss []series
	for _, l := range r.Load {
		s := series{Name: l.Profile.Op, Points: true}
		for _, h := range l.Hits {
			s.X = append(s.X, since(r, h.At))
			s.Y = append(s.Y, float64(h.Latency)/float64(time.Millisecond))
		}
		ss = append(ss, thin(s))
	}
	return ss
}

func deliverySeries(r *harness.Result) []series {
	var ss []series
	for _, name := range r.Endpoints {
		s := series{Name: name, Points: true}
		seen := map[string]bool{}
		ds := append([]endpoint.Delivery(nil), r.Deliveries[name]...)
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].Arrived.Before(ds[j].Arrived) })
		for _, d := range ds {
			if !d.Accepted() || seen[d.ID] || d.Timestamp.IsZero() {
				continue
			}
			seen[d.ID] = true
			s.X = append(s.X, since(r, d.Arrived))
			s.Y = append(s.Y, float64(d.Arrived.Sub(d.Timestamp))/float64(time.Millisecond))
		}
		ss = append(ss, thin(s))
	}
	return ss
}

func pendingSeries(r *harness.Result) []series {
	var ss []series
	for _, name := range r.Endpoints {
		s := series{Name: name}
		for _, sm := range r.Samples {
			if sm.Error != "" {
				continue
			}
			s.X = append(s.X, since(r, sm.At))
			s.Y = append(s.Y, float64(sm.Endpoints[name].Pending))
		}
		ss = append(ss, s)
	}
	return ss
}

func memSeries(r *harness.Result) []series {
	s := series{Name: "HeapInuse"}
	for _, sm := range r.Samples {
		if sm.Error != "" || sm.Mem.HeapInuse == 0 {
			continue
		}
		s.X = append(s.X, since(r, sm.At))
		s.Y = append(s.Y, float64(sm.Mem.HeapInuse)/(1<<20))
	}
	return []series{s}
}
