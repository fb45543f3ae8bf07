package report

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tsenart/vegeta/v12/lib/plot"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/verdict"
)

// The charts are drawn by uPlot (MIT; zoom by dragging, hover values,
// cursors synchronised across charts, about 50 KB), inlined from the copy
// vegeta's plot package embeds: vegeta is already our load library, so
// the page needs no new module and no network. go-echarts ships no
// echarts.js in any Go module (it loads it from a CDN) and Debian has no
// echarts package; vegeta's own Plot draws a single latency chart only.
// Load phases, the drain and chaos actions are drawn by a small uPlot
// plugin in charts.js.

//go:embed html.tmpl
var pageTemplate string

//go:embed charts.js
var chartsJS string

var tmpl = template.Must(template.New("report").Parse(pageTemplate))

// HTML writes a self-contained page (no network: the chart library is
// inlined): the verdict and the failed checks first, then the charts on
// one shared time axis, then every check and the text report.
func HTML(w io.Writer, r *harness.Result) error {
	js, err := asset("uPlot.min.js")
	if err != nil {
		return err
	}
	css, err := asset("uPlot.min.css")
	if err != nil {
		return err
	}
	tl := axis(r)
	cs := charts(r, tl)
	data, err := json.Marshal(struct {
		Timeline timeline `json:"timeline"`
		Charts   []chart  `json:"charts"`
	}{tl, cs})
	if err != nil {
		return err
	}
	var txt strings.Builder
	Text(&txt, r)
	p := page{
		Scenario: r.Scenario, Description: r.Description, Runtime: r.Runtime,
		Started:  r.Started.UTC().Format("2006-01-02 15:04:05 MST"),
		Duration: fmt.Sprintf("%s (load %s, drain %s)", r.Duration.Round(time.Millisecond), r.LoadDuration.Round(time.Millisecond), r.DrainDuration.Round(time.Millisecond)),
		Notes:    r.Notes, Charts: cs, Events: events(tl), Text: txt.String(),
		UPlot: template.JS(js), UPlotCSS: template.CSS(css), Data: template.JS(data), App: template.JS(chartsJS),
	}
	for _, c := range sortedChecks(r.Verdict.Checks, func(c verdict.Check) bool { return c.OK }) {
		v := newCheckView(c)
		p.Checks = append(p.Checks, v)
		if !c.OK {
			p.Failed = append(p.Failed, v)
		}
	}
	p.Pass = len(p.Failed) == 0
	switch {
	case len(p.Checks) == 0:
		p.Summary = "no checks were made"
	case p.Pass:
		p.Summary = fmt.Sprintf("all %d checks held", len(p.Checks))
	default:
		p.Summary = fmt.Sprintf("%d of %d checks failed", len(p.Failed), len(p.Checks))
	}
	for _, l := range r.Load {
		m := l.Metrics
		p.Load = append(p.Load, fmt.Sprintf("%s: %d requests at %.1f/s, %.1f%% succeeded, p50 %s, p99 %s, max %s",
			l.Profile.Op, m.Requests, m.Rate, m.Success*100, roundDur(m.Latencies.P50), roundDur(m.Latencies.P99), roundDur(m.Latencies.Max)))
	}
	return tmpl.Execute(w, p)
}

// page is what html.tmpl shows.
type page struct {
	Scenario, Description, Runtime, Started, Duration string
	Pass                                              bool
	Summary                                           string
	Failed, Checks                                    []checkView
	Notes, Load                                       []string
	Events                                            []event
	Charts                                            []chart
	Text                                              string
	UPlot, Data, App                                  template.JS
	UPlotCSS                                          template.CSS
}

type checkView struct {
	Endpoint, Name, Registry, Other, OtherLabel, Note string
	OK                                                bool
}

func newCheckView(c verdict.Check) checkView {
	v := checkView{Endpoint: c.Endpoint, Name: c.Name, Registry: c.Registry, Other: c.Observed, OtherLabel: "observed", Note: c.Note, OK: c.OK}
	if c.Kind == verdict.KindExpect {
		v.OtherLabel = "expected"
	}
	return v
}

// event is one line of the timeline list beside the charts.
type event struct {
	At, What string
	Chaos    bool
	Failed   bool
}

func events(tl timeline) []event {
	type ev struct {
		at float64
		e  event
	}
	var es []ev
	for _, p := range tl.Phases {
		es = append(es, ev{p.From, event{At: fmt.Sprintf("%.2f–%.2f s", p.From, p.To), What: p.Label}})
	}
	for _, m := range tl.Marks {
		es = append(es, ev{m.At, event{At: fmt.Sprintf("%.2f s", m.At), What: m.Label, Chaos: true, Failed: m.Failed}})
	}
	slices.SortStableFunc(es, func(a, b ev) int { return cmp.Compare(a.at, b.at) })
	out := make([]event, len(es))
	for i, e := range es {
		out[i] = e.e
	}
	return out
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// asset reads one file of the chart library vegeta embeds.
func asset(name string) (string, error) {
	f, err := plot.Assets.Open(name)
	if err != nil {
		return "", fmt.Errorf("html report: chart library %s: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return "", fmt.Errorf("html report: chart library %s: %w", name, err)
	}
	return string(b), nil
}
