package report

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/model"
)

// maxDots bounds the dots of one chart; beyond it dots are thinned evenly
// (percentile lines are always computed from every point).
const maxDots = 4000

// Colours: one per endpoint, the same on every chart.
var endpointColors = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"}

// timeline is the one time axis every chart shares: seconds since the run
// started, from 0 to End, with the load phases and chaos actions on it.
type timeline struct {
	End    float64     `json:"end"`
	Phases []span      `json:"phases"`
	Marks  []chaosMark `json:"marks"`
}

// span is a shaded stretch of the axis: a load phase or the drain.
type span struct {
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	Label string  `json:"label"`
	Drain bool    `json:"drain,omitempty"`
}

// chaosMark is a chaos action, drawn as a vertical line.
type chaosMark struct {
	At     float64 `json:"at"`
	Label  string  `json:"label"`
	Failed bool    `json:"failed,omitempty"`
}

// chart is one uPlot chart: Data[0] holds the x values (seconds), Data[i]
// the values of Series[i-1], aligned on them.
type chart struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	Note   string   `json:"note,omitempty"` // what is drawn, in a sentence
	YLabel string   `json:"yLabel"`
	Log    bool     `json:"log,omitempty"` // logarithmic y axis
	Unit   string   `json:"unit,omitempty"`
	Series []series `json:"series"`
	Data   []column `json:"data"`
	Empty  bool     `json:"empty,omitempty"`
}

// series says how one column is drawn.
type series struct {
	Label string  `json:"label"`
	Color string  `json:"color"`
	Style string  `json:"style"` // "dots", "line", "step" or "bound"
	Dash  []int   `json:"dash,omitempty"`
	Width float64 `json:"width,omitempty"`
	Span  bool    `json:"span,omitempty"` // join across missing values
}

// column is one series' values; NaN is a missing value (JSON null).
type column []float64

func (c column) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 8*len(c)+2)
	b = append(b, '[')
	for i, v := range c {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		// Milliseconds, MiB and counts need no more than 3 decimals.
		b = strconv.AppendFloat(b, math.Round(v*1000)/1000, 'f', -1, 64)
	}
	return append(b, ']'), nil
}

// points is one series before alignment.
type points struct {
	s    series
	x, y []float64
}

// align merges the x values of every series (and 0 and end, so that every
// chart spans the same axis) into one sorted column and places each
// series' values on it.
func align(end float64, ps []points) []column {
	key := func(x float64) int64 { return int64(math.Round(x * 1000)) }
	seen := map[int64]bool{0: true, key(end): true}
	xs := []int64{0, key(end)}
	for _, p := range ps {
		for _, x := range p.x {
			if k := key(x); !seen[k] {
				seen[k] = true
				xs = append(xs, k)
			}
		}
	}
	slices.Sort(xs)
	idx := make(map[int64]int, len(xs))
	out := make([]column, 1+len(ps))
	out[0] = make(column, len(xs))
	for i, k := range xs {
		idx[k] = i
		out[0][i] = float64(k) / 1000
	}
	for j, p := range ps {
		c := make(column, len(xs))
		for i := range c {
			c[i] = math.NaN()
		}
		for i, x := range p.x {
			c[idx[key(x)]] = p.y[i]
		}
		if p.s.Style == "bound" && len(p.y) > 0 {
			for i := range c { // at every x, for the legend while hovering
				c[i] = p.y[0]
			}
		}
		out[1+j] = c
	}
	return out
}

// bound is a horizontal line at v across the whole axis.
func bound(end float64, s series, v float64) points {
	return points{s: s, x: []float64{0, end}, y: []float64{v, v}}
}

// timed is a value at a time, for dots and percentile lines.
type timed struct{ x, y float64 }

// dots turns ts into a dot series of at most n points, evenly thinned.
func dots(s series, ts []timed, n int) points {
	p := points{s: s}
	step := 1.0
	if len(ts) > n && n > 0 {
		step = float64(len(ts)) / float64(n)
	}
	for i := 0.0; int(i) < len(ts); i += step {
		p.x, p.y = append(p.x, ts[int(i)].x), append(p.y, ts[int(i)].y)
	}
	return p
}

// window picks the width of the buckets percentile lines are computed
// over: a round number of seconds giving about 40 buckets across the
// axis, wider when that would leave fewer than 20 points per bucket, but
// never fewer than 8 buckets (a line needs points).
func window(end float64, n int) float64 {
	w := end / 40
	if n > 0 {
		w = math.Max(w, math.Min(20*end/float64(n), end/8))
	}
	return niceStep(w)
}

// percentiles returns one line per q, the q-quantile of ts in each bucket
// of width w (placed at the bucket's middle); empty buckets are gaps.
func percentiles(ts []timed, w float64, qs ...float64) [][]timed {
	buckets := map[int][]float64{}
	for _, t := range ts {
		b := int(math.Floor(t.x / w))
		buckets[b] = append(buckets[b], t.y)
	}
	keys := slices.Sorted(maps.Keys(buckets))
	out := make([][]timed, len(qs))
	for _, b := range keys {
		ys := buckets[b]
		slices.Sort(ys)
		for i, q := range qs {
			// Nearest rank: the smallest value with at least q of them at or below.
			r := int(math.Ceil(q*float64(len(ys)))) - 1
			out[i] = append(out[i], timed{x: (float64(b) + 0.5) * w, y: ys[max(r, 0)]})
		}
	}
	return out
}

func line(s series, ts []timed) points {
	p := points{s: s}
	for _, t := range ts {
		p.x, p.y = append(p.x, t.x), append(p.y, t.y)
	}
	return p
}

// niceStep is the smallest of 1, 2, 2.5 and 5 times a power of ten that is
// at least v.
func niceStep(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

func seconds(w float64) string {
	return strconv.FormatFloat(w, 'f', -1, 64) + " s"
}

func since(r *harness.Result, t time.Time) float64 { return t.Sub(r.Started).Seconds() }

// axis builds the shared timeline of r. It ends with the last thing
// observed (sample, delivery, load request, drain or chaos action), not
// at Duration, which also holds reading the ledgers and checking.
func axis(r *harness.Result) timeline {
	tl := timeline{Phases: []span{}, Marks: []chaosMark{}} // [] in JSON, never null
	end, loadEnd := 0.0, 0.0
	stretch := func(x float64) { end = math.Max(end, x) }
	for _, l := range r.Load {
		if len(l.Hits) == 0 {
			continue
		}
		from, to := math.Inf(1), math.Inf(-1)
		for _, h := range l.Hits {
			from = math.Min(from, since(r, h.At))
			to = math.Max(to, since(r, h.At.Add(h.Latency)))
		}
		loadEnd = math.Max(loadEnd, to)
		tl.Phases = append(tl.Phases, span{From: math.Max(from, 0), To: to, Label: "load " + l.Profile.Op})
	}
	stretch(loadEnd)
	for _, c := range r.Chaos {
		// Reports from before Record.Time: At counts from the load's start.
		at := c.At.Seconds()
		if !c.Time.IsZero() {
			at = since(r, c.Time)
		}
		label := c.Action
		if c.Endpoint != "" {
			label += " " + c.Endpoint
		} else if !strings.Contains(c.Action, "registry") {
			label += " (registry)"
		}
		m := chaosMark{At: at, Label: label, Failed: c.Error != ""}
		if m.Failed {
			m.Label += " (failed)"
		}
		stretch(at)
		tl.Marks = append(tl.Marks, m)
	}
	// The drain starts when the load and every chaos action are done.
	if r.DrainDuration > 0 {
		from := end
		tl.Phases = append(tl.Phases, span{From: from, To: from + r.DrainDuration.Seconds(), Label: "drain", Drain: true})
		stretch(from + r.DrainDuration.Seconds())
	}
	for _, s := range r.Samples {
		stretch(since(r, s.At))
	}
	for _, ds := range r.Deliveries {
		for _, d := range ds {
			stretch(since(r, d.Arrived))
		}
	}
	if end <= 0 {
		end = math.Max(r.Duration.Seconds(), 1)
	}
	tl.End = end
	return tl
}

func charts(r *harness.Result, tl timeline) []chart {
	cs := []chart{
		loadChart(r, tl.End),
		deliveryChart(r, tl.End),
		pendingChart(r, tl.End),
		countersChart(r, tl.End),
		heapChart(r, tl.End),
	}
	if len(r.Replicas) > 0 {
		cs = append(cs, replicaChart(r, tl.End))
	}
	return cs
}

func newChart(id, title, ylabel, unit string, end float64, ps []points) chart {
	c := chart{ID: id, Title: title, YLabel: ylabel, Unit: unit, Data: align(end, ps)}
	c.Empty = true
	for _, p := range ps {
		c.Series = append(c.Series, p.s)
		if len(p.x) > 0 && p.s.Style != "bound" {
			c.Empty = false
		}
	}
	return c
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func loadChart(r *harness.Result, end float64) chart {
	var all []timed
	var ps []points
	n := 0
	for _, l := range r.Load {
		n += len(l.Hits)
	}
	for i, l := range r.Load {
		var ts []timed
		for _, h := range l.Hits {
			if h.Latency > 0 {
				ts = append(ts, timed{since(r, h.At), ms(h.Latency)})
			}
		}
		all = append(all, ts...)
		share := maxDots * max(len(l.Hits), 1) / max(n, 1)
		ps = append(ps, dots(series{Label: l.Profile.Op, Color: opColors[i%len(opColors)], Style: "dots"}, ts, share))
	}
	w := window(end, len(all))
	qs := percentiles(all, w, 0.5, 0.99)
	ps = append(ps,
		line(series{Label: "p50 per " + seconds(w), Color: "#333333", Style: "line", Width: 2, Span: true}, qs[0]),
		line(series{Label: "p99 per " + seconds(w), Color: "#d62728", Style: "line", Width: 2, Span: true}, qs[1]))
	c := newChart("load", "Load: request latency", "latency (ms, log scale)", "ms", end, ps)
	c.Log = true
	c.Note = fmt.Sprintf("Every request of the load as a dot (%d in all%s), with the median and 99th percentile of each %s.",
		len(all), thinned(len(all)), seconds(w))
	return c
}

// Dots of load phases, in cool colours so that p50 and p99 stand out.
var opColors = []string{"#7fa7cf", "#8fc98f", "#c3a6d9", "#e0b97a"}

func thinned(n int) string {
	if n > maxDots {
		return fmt.Sprintf(", about %d drawn", maxDots)
	}
	return ""
}

// deliveryChart: for each endpoint, each event's first accepted delivery,
// at its arrival, with how long after the event's own timestamp it came.
func deliveryChart(r *harness.Result, end float64) chart {
	var ps, lines []points
	total := 0
	per := map[string][]timed{}
	for _, name := range r.Endpoints {
		ds := slices.Clone(r.Deliveries[name])
		slices.SortStableFunc(ds, func(a, b endpoint.Delivery) int { return a.Arrived.Compare(b.Arrived) })
		seen := map[string]bool{}
		for _, d := range ds {
			if !d.Accepted() || seen[d.ID] || d.Timestamp.IsZero() {
				continue
			}
			seen[d.ID] = true
			// Clocks of one machine: a negative gap is rounding, shown as 1 µs.
			per[name] = append(per[name], timed{since(r, d.Arrived), math.Max(ms(d.Arrived.Sub(d.Timestamp)), 0.001)})
		}
		total += len(per[name])
	}
	w := window(end, total/max(len(r.Endpoints), 1))
	for i, name := range r.Endpoints {
		col := endpointColors[i%len(endpointColors)]
		ts := per[name]
		share := maxDots * max(len(ts), 1) / max(total, 1)
		ps = append(ps, dots(series{Label: name, Color: col + "66", Style: "dots"}, ts, share))
		qs := percentiles(ts, w, 0.5, 0.99)
		lines = append(lines,
			line(series{Label: name + " p50", Color: col, Style: "line", Width: 2, Span: true}, qs[0]),
			line(series{Label: name + " p99", Color: col, Style: "line", Width: 2, Dash: []int{6, 4}, Span: true}, qs[1]))
	}
	c := newChart("delivery", "Delivery latency: receiver arrival minus event timestamp", "latency (ms, log scale)", "ms", end, append(ps, lines...))
	c.Log = true
	c.Note = fmt.Sprintf("Each event's first accepted delivery per endpoint as a dot (%d in all%s); solid lines the median, dashed the 99th percentile of each %s.",
		total, thinned(total), seconds(w))
	return c
}

// sampled is one series per endpoint from the samples; a failed sample
// (registry down) is a gap.
func sampled(r *harness.Result, name string, f func(endpoint.EndpointMetrics) float64) ([]float64, []float64) {
	var x, y []float64
	for _, s := range r.Samples {
		v := math.NaN()
		if s.Error == "" {
			v = f(s.Endpoints[name])
		}
		x, y = append(x, since(r, s.At)), append(y, v)
	}
	return x, y
}

// conditionBounds draws the scenario's Throughout and Eventually
// conditions on counter as dashed lines in the endpoint's colour.
func conditionBounds(r *harness.Result, end float64, counter string) []points {
	var ps []points
	draw := func(c model.Condition, when string) {
		if c.Counter != counter {
			return
		}
		i := slices.Index(r.Endpoints, c.Endpoint)
		col := "#d62728"
		if i >= 0 {
			col = endpointColors[i%len(endpointColors)]
		}
		s := series{Label: fmt.Sprintf("asserted %s: %s", when, c), Color: col, Style: "bound", Dash: []int{10, 5}, Width: 1.5}
		ps = append(ps, bound(end, s, float64(c.Value)))
	}
	for _, c := range r.Expect.Throughout {
		draw(c, "throughout")
	}
	for _, c := range r.Expect.Eventually {
		draw(c, "at some point")
	}
	return ps
}

func pendingChart(r *harness.Result, end float64) chart {
	var ps []points
	for i, name := range r.Endpoints {
		x, y := sampled(r, name, func(m endpoint.EndpointMetrics) float64 { return float64(m.Pending) })
		ps = append(ps, points{s: series{Label: name, Color: endpointColors[i%len(endpointColors)], Style: "step", Width: 2}, x: x, y: y})
	}
	ps = append(ps, conditionBounds(r, end, "Pending")...)
	c := newChart("pending", "Pending per endpoint (registry)", "events pending", "", end, ps)
	c.Note = "The registry's Pending counter of each endpoint at every sample; gaps where the registry did not answer."
	return c
}

func countersChart(r *harness.Result, end float64) chart {
	kinds := []struct {
		name string
		dash []int
		get  func(endpoint.EndpointMetrics) float64
	}{
		{"Successes", nil, func(m endpoint.EndpointMetrics) float64 { return float64(m.Successes) }},
		{"Failures", []int{6, 4}, func(m endpoint.EndpointMetrics) float64 { return float64(m.Failures) }},
		{"Errors", []int{2, 3}, func(m endpoint.EndpointMetrics) float64 { return float64(m.Errors) }},
	}
	var ps []points
	for i, name := range r.Endpoints {
		for _, k := range kinds {
			x, y := sampled(r, name, k.get)
			ps = append(ps, points{s: series{Label: name + " " + k.name, Color: endpointColors[i%len(endpointColors)], Style: "line", Dash: k.dash, Width: 1.5}, x: x, y: y})
		}
	}
	for _, k := range kinds {
		ps = append(ps, conditionBounds(r, end, k.name)...)
	}
	c := newChart("counters", "Registry counters per endpoint", "count", "", end, ps)
	c.Note = "Successes solid, Failures (non-2xx answers) dashed, Errors (no answer) dotted, in each endpoint's colour."
	return c
}

func heapChart(r *harness.Result, end float64) chart {
	var x, y []float64
	for _, s := range r.Samples {
		v := math.NaN()
		if s.Error == "" && s.Mem.HeapAlloc > 0 {
			v = float64(s.Mem.HeapAlloc) / (1 << 20)
		}
		x, y = append(x, since(r, s.At)), append(y, v)
	}
	ps := []points{{s: series{Label: "HeapAlloc", Color: "#1f77b4", Style: "line", Width: 2}, x: x, y: y}}
	if b := r.Expect.MaxHeapAlloc; b > 0 {
		ps = append(ps, bound(end, series{Label: fmt.Sprintf("asserted maximum (%s)", mib(b)), Color: "#d62728", Style: "bound", Dash: []int{10, 5}, Width: 2}, float64(b)/(1<<20)))
	}
	c := newChart("heap", "Registry heap (HeapAlloc)", "MiB", "MiB", end, ps)
	c.Note = "HeapAlloc from the registry's /debug/vars memstats at every sample (in-process it includes the harness)."
	if r.Expect.MaxHeapAlloc > 0 {
		c.Note += " The red dashed line is the bound the scenario asserts."
	}
	return c
}

func mib(b uint64) string {
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', -1, 64) + " MiB"
}

// sortedChecks puts failed checks first, keeping their order otherwise.
func sortedChecks[T any](cs []T, ok func(T) bool) []T {
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(btoi(ok(a)), btoi(ok(b))) })
	return out
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
