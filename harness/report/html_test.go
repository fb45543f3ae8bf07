package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/verdict"
	"github.com/hookbench/hookbench/load"
)

// chartResult is a made-up run with everything the page draws: two load
// phases, deliveries with retries, samples of both endpoints (one failed),
// chaos actions, a heap bound and a Pending bound, and a failed check.
func chartResult() *harness.Result {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &harness.Result{Scenario: "synthetic <&>", Description: "made up for the page", Runtime: "none", Started: t0,
		Duration: 7 * time.Second, LoadDuration: 4 * time.Second, DrainDuration: 2 * time.Second,
		Endpoints: []string{"a", "b"}, Final: map[string]endpoint.EndpointMetrics{}, Fakes: map[string]endpoint.Stats{},
		Deliveries: map[string][]endpoint.Delivery{}}
	at := t0.Add(500 * time.Millisecond)
	for phase, op := range []string{load.OpManifestPush, load.OpBlobPush} {
		lr := &load.Result{Profile: load.Profile{Op: op, Count: 100}}
		for i := range 100 {
			at = at.Add(20 * time.Millisecond)
			lat := time.Duration(2+i%7+phase*5) * time.Millisecond
			lr.Hits = append(lr.Hits, load.Hit{Op: op, At: at, Latency: lat, Code: 201})
			lr.Metrics.Add(&vegeta.Result{Timestamp: at, Latency: lat, Code: 201})
			id := fmt.Sprintf("%s-%d", op, i)
			for j, ep := range r.Endpoints {
				arrived := at.Add(lat + time.Duration(j+1)*time.Millisecond)
				if ep == "b" && i%10 == 0 { // refused once, accepted on the retry
					r.Deliveries[ep] = append(r.Deliveries[ep], endpoint.Delivery{ID: id, Timestamp: at, Arrived: arrived, Status: 500, Attempt: 1})
					arrived = arrived.Add(300 * time.Millisecond)
				}
				r.Deliveries[ep] = append(r.Deliveries[ep], endpoint.Delivery{ID: id, Timestamp: at, Arrived: arrived, Status: 200, Attempt: 1})
			}
		}
		lr.Metrics.Close()
		r.Load = append(r.Load, lr)
	}
	for i := range 140 {
		s := observe.Sample{At: t0.Add(time.Duration(i) * 50 * time.Millisecond), Endpoints: map[string]endpoint.EndpointMetrics{
			"a": {Pending: i % 10, Successes: i * 2}, "b": {Pending: 30 - i/5, Successes: i, Failures: i / 10, Errors: i / 20}},
			Mem: observe.MemStats{HeapAlloc: uint64(8+i%5) << 20}}
		if i == 70 {
			s = observe.Sample{At: s.At, Error: "connection refused"}
		}
		r.Samples = append(r.Samples, s)
	}
	r.Chaos = []chaos.Record{
		{At: time.Second, Time: t0.Add(1500 * time.Millisecond), Action: "stop-endpoint", Endpoint: "b"},
		{At: 2 * time.Second, Time: t0.Add(2500 * time.Millisecond), Action: "start-endpoint", Endpoint: "b"},
		{At: 3 * time.Second, Time: t0.Add(3500 * time.Millisecond), Action: "restart-registry", Error: "no can do"},
	}
	r.Expect = model.Expect{MaxHeapAlloc: 24 << 20, Throughout: []model.Condition{{Endpoint: "b", Counter: "Pending", Op: "<=", Value: 40}}}
	r.Final["a"] = endpoint.EndpointMetrics{Events: 200, Successes: 200, Statuses: map[string]int{"200 OK": 200}}
	r.Verdict = verdict.Verdict{Checks: []verdict.Check{
		{Endpoint: "a", Kind: verdict.KindReconcile, Name: "Pending", Registry: "0", Observed: "0", OK: true},
		{Endpoint: "b", Kind: verdict.KindExpect, Name: "Final Pending", Registry: "1", Observed: "0", Note: "after the drain"},
	}}
	return r
}

// pageData is the JSON the page's script draws from.
type pageData struct {
	Timeline struct {
		End    float64     `json:"end"`
		Phases []span      `json:"phases"`
		Marks  []chaosMark `json:"marks"`
	} `json:"timeline"`
	Charts []struct {
		ID     string       `json:"id"`
		Series []series     `json:"series"`
		Data   [][]*float64 `json:"data"`
		Empty  bool         `json:"empty"`
	} `json:"charts"`
}

func renderPage(t *testing.T, r *harness.Result) string {
	t.Helper()
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func dataOf(t *testing.T, page string) pageData {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="report-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("page has no report data")
	}
	var d pageData
	if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
		t.Fatalf("report data: %v", err)
	}
	return d
}

func TestHTMLVerdictFirstAndSelfContained(t *testing.T) {
	page := renderPage(t, chartResult())
	for _, bad := range []string{"src=\"http", "href=\"http", "@import", "<script src", "<link"} {
		if strings.Contains(page, bad) {
			t.Errorf("page is not self-contained: contains %q", bad)
		}
	}
	// The verdict, then the failed checks, before any chart.
	banner := strings.Index(page, `id="verdict"`)
	failures := strings.Index(page, `id="failures"`)
	firstChart := strings.Index(page, `id="chart-`)
	if banner < 0 || failures < banner || firstChart < failures {
		t.Errorf("order: verdict at %d, failures at %d, first chart at %d", banner, failures, firstChart)
	}
	for _, want := range []string{">FAIL<", "1 of 2 checks failed", "<b>Final Pending</b>: registry 1, expected 0",
		"synthetic &lt;&amp;&gt;", "stop-endpoint b", "restart-registry (failed)", "load manifest-push"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<svg") {
		t.Error("page still holds hand-drawn SVG")
	}
	pass := chartResult()
	pass.Verdict.Checks = pass.Verdict.Checks[:1]
	if p := renderPage(t, pass); !strings.Contains(p, ">PASS<") || strings.Contains(p, `id="failures"`) || !strings.Contains(p, "all 1 checks held") {
		t.Error("a passing run shows no PASS banner, or shows failures")
	}
}

func TestHTMLChartsShareOneAxisWithBounds(t *testing.T) {
	r := chartResult()
	d := dataOf(t, renderPage(t, r))
	// The last sample is at 6.95 s; Duration (7 s) also holds the checks.
	if d.Timeline.End != 6.95 {
		t.Errorf("axis ends at %v, want the last sample's 6.95 s", d.Timeline.End)
	}
	// The last request starts at 4.5 s and takes 8 ms; the drain follows.
	if ph := d.Timeline.Phases; len(ph) != 3 || ph[1].To != 4.508 || !ph[2].Drain || ph[2].From != 4.508 || ph[2].To != 6.508 {
		t.Errorf("phases %+v: want two load phases, the last to 4.508 s, and the drain's 2 s from there", ph)
	}
	if len(d.Timeline.Marks) != 3 || d.Timeline.Marks[0].At != 1.5 || !d.Timeline.Marks[2].Failed {
		t.Errorf("chaos marks %+v", d.Timeline.Marks)
	}
	ids := map[string]int{}
	for i, c := range d.Charts {
		ids[c.ID] = i
		xs := c.Data[0]
		if *xs[0] != 0 || *xs[len(xs)-1] != d.Timeline.End {
			t.Errorf("chart %s spans %v..%v, want 0..%v", c.ID, *xs[0], *xs[len(xs)-1], d.Timeline.End)
		}
		if len(c.Data) != 1+len(c.Series) {
			t.Errorf("chart %s: %d columns for %d series", c.ID, len(c.Data), len(c.Series))
		}
		for j, col := range c.Data {
			if len(col) != len(xs) {
				t.Errorf("chart %s column %d: %d values for %d x", c.ID, j, len(col), len(xs))
			}
		}
		if c.Empty {
			t.Errorf("chart %s is empty", c.ID)
		}
	}
	for _, id := range []string{"load", "delivery", "pending", "counters", "heap"} {
		if _, ok := ids[id]; !ok {
			t.Errorf("no %s chart", id)
		}
	}
	heap := d.Charts[ids["heap"]]
	if got := lastValue(heap.Data[2]); len(heap.Series) != 2 || heap.Series[1].Style != "bound" || got != 24 {
		t.Errorf("heap bound: series %+v, value %v MiB, want 24", heap.Series, got)
	}
	pending := d.Charts[ids["pending"]]
	if s := pending.Series[len(pending.Series)-1]; s.Style != "bound" || !strings.Contains(s.Label, "b Pending <= 40") {
		t.Errorf("pending bound: %+v", s)
	}
	// The failed sample is a gap, not a zero.
	if v := pending.Data[1][indexOf(pending.Data[0], 3.5)]; v != nil {
		t.Errorf("pending at the failed sample = %v, want a gap", *v)
	}
	// Percentile lines: the load's p99 is at least its p50 everywhere.
	ld := d.Charts[ids["load"]]
	var p50, p99 int
	for i, s := range ld.Series {
		switch {
		case strings.HasPrefix(s.Label, "p50 per"):
			p50 = i + 1
		case strings.HasPrefix(s.Label, "p99 per"):
			p99 = i + 1
		}
	}
	if p50 == 0 || p99 == 0 {
		t.Fatalf("load chart has no p50/p99 line: %+v", ld.Series)
	}
	n := 0
	for i := range ld.Data[0] {
		if a, b := ld.Data[p50][i], ld.Data[p99][i]; a != nil && b != nil {
			n++
			if *b < *a {
				t.Errorf("at %v s p99 %v < p50 %v", *ld.Data[0][i], *b, *a)
			}
		}
	}
	if n < 4 {
		t.Errorf("%d percentile points, want a line", n)
	}
	// Delivery latency counts from the event's timestamp to the first
	// accepted arrival: b's retried events arrive 300 ms later.
	dl := d.Charts[ids["delivery"]]
	var maxB float64
	for _, v := range dl.Data[2] {
		if v != nil {
			maxB = math.Max(maxB, *v)
		}
	}
	if maxB < 300 || maxB > 320 {
		t.Errorf("b's worst delivery latency %v ms, want about 300 + latency", maxB)
	}
}

func lastValue(col []*float64) float64 {
	for i := len(col) - 1; i >= 0; i-- {
		if col[i] != nil {
			return *col[i]
		}
	}
	return math.NaN()
}

func indexOf(xs []*float64, x float64) int {
	for i, v := range xs {
		if v != nil && *v == x {
			return i
		}
	}
	return -1
}

func TestNiceStepAndPercentiles(t *testing.T) {
	for v, want := range map[float64]float64{0.13: 0.2, 0.2: 0.2, 2.51: 5, 5.75: 10, 0.024: 0.025, 40: 50} {
		if got := niceStep(v); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", v, got, want)
		}
	}
	var ts []timed
	for i := 1; i <= 100; i++ {
		ts = append(ts, timed{x: 0.1, y: float64(i)})
	}
	q := percentiles(ts, 1, 0.5, 0.99)
	if q[0][0].y != 50 || q[1][0].y != 99 || q[0][0].x != 0.5 {
		t.Errorf("p50 %v p99 %v", q[0], q[1])
	}
}

// chromium finds Debian's chromium; with CI=true a missing browser fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not on PATH (apt-get install -y chromium); CI must load the HTML report in a browser")
	}
	t.Skip("chromium not on PATH (apt-get install -y chromium)")
	return ""
}

// browse loads file in headless chromium and returns the DOM after its
// scripts ran and the browser's stderr (console messages included).
func browse(t *testing.T, bin, file string, extra ...string) (dom, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--window-size=1280,2000"},
		extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, "--dump-dom", "file://"+file)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	return out.String(), errb.String()
}

// consoleErrors are the console messages and uncaught errors chromium
// logged, and any error the page's own handler recorded.
func consoleErrors(dom, stderr string) []string {
	var errs []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, ":CONSOLE") || strings.Contains(l, "Uncaught") {
			errs = append(errs, l)
		}
	}
	if m := regexp.MustCompile(`data-error="([^"]*)"`).FindStringSubmatch(dom); m != nil {
		errs = append(errs, "page: "+m[1])
	}
	return errs
}

// loadPage writes r's page into a file, loads it in chromium, fails the
// test on any console error, and returns the DOM after the scripts ran.
func loadPage(t *testing.T, bin string, r *harness.Result, name string) string {
	t.Helper()
	dir := t.TempDir()
	if keep := os.Getenv("HOOKBENCH_KEEP_REPORT"); keep != "" {
		dir = keep
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(renderPage(t, r)), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, stderr := browse(t, bin, file)
	if errs := consoleErrors(dom, stderr); len(errs) > 0 {
		t.Errorf("%s: console errors:\n%s", name, strings.Join(errs, "\n"))
	}
	return dom
}

func domAttr(dom, name string) int {
	m := regexp.MustCompile(name + `="(\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestHTMLRendersInChromium(t *testing.T) {
	bin := chromium(t)
	dom := loadPage(t, bin, chartResult(), "report.html")
	attr := func(name string) int { return domAttr(dom, name) }
	// Five charts built and each drawn, one canvas each, legends filled.
	if got := attr("data-charts"); got != 5 {
		t.Errorf("data-charts = %d, want 5", got)
	}
	if got := attr("data-drawn"); got != 5 {
		t.Errorf("data-drawn = %d, want every chart drawn", got)
	}
	if got := strings.Count(dom, "<canvas"); got != 5 {
		t.Errorf("%d canvases, want 5", got)
	}
	for _, want := range []string{"p99 per", "asserted maximum (24 MiB)", "seconds since the run started"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
}

// Zoom and hover, driven through uPlot's API in the browser: zooming one
// chart zooms every chart to the same stretch, and the hovered chart's
// legend shows the values at the cursor.
func TestHTMLZoomAndHoverInChromium(t *testing.T) {
	bin := chromium(t)
	probe := `<script>
window.addEventListener("load", function () {
  var ps = window.hookbenchCharts, b = document.body;
  ps[0].setScale("x", {min: 1, max: 2});
  setTimeout(function () { // uPlot commits scale changes in a microtask
    b.setAttribute("data-zoomed", ps.filter(function (u) { return u.scales.x.min === 1 && u.scales.x.max === 2; }).length);
    var u = ps[2];
    u.setCursor({left: u.valToPos(1.5, "x"), top: 10});
    b.setAttribute("data-hover", Array.prototype.map.call(u.root.querySelectorAll(".u-legend .u-value"), function (e) { return e.textContent; }).join("|"));
  }, 0);
});
</script>`
	page := strings.Replace(renderPage(t, chartResult()), "</body>", probe+"</body>", 1)
	file := filepath.Join(t.TempDir(), "probe.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, stderr := browse(t, bin, file)
	if errs := consoleErrors(dom, stderr); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
	if got := domAttr(dom, "data-zoomed"); got != 5 {
		t.Errorf("%d charts zoomed to 1..2 s, want all 5", got)
	}
	// Pending at 1.5 s: a 0, b 24, b's asserted bound 40.
	m := regexp.MustCompile(`data-hover="([^"]*)"`).FindStringSubmatch(dom)
	if m == nil || m[1] != "1.500 s|0|24|40" {
		t.Errorf("legend while hovering 1.5 s on the Pending chart: %q, want %q", m, "1.500 s|0|24|40")
	}
}

// A run with no load, no chaos and no delivery (a registry sampled while
// idle) still gives a page without script errors, saying "no data" where
// a chart has nothing to draw.
func TestHTMLIdleRunInChromium(t *testing.T) {
	bin := chromium(t)
	t0 := time.Now()
	r := &harness.Result{Scenario: "idle", Started: t0, Duration: time.Second, Endpoints: []string{"a"}}
	for i := range 10 {
		r.Samples = append(r.Samples, observe.Sample{At: t0.Add(time.Duration(i) * 100 * time.Millisecond),
			Endpoints: map[string]endpoint.EndpointMetrics{"a": {}}, Mem: observe.MemStats{HeapAlloc: 4 << 20}})
	}
	dom := loadPage(t, bin, r, "idle.html")
	if got := domAttr(dom, "data-drawn"); got != 3 {
		t.Errorf("data-drawn = %d, want 3 (Pending, counters, heap)", got)
	}
	if got := strings.Count(dom, "no data"); got != 2 {
		t.Errorf("%d charts say no data, want 2 (load and delivery)", got)
	}
	if !strings.Contains(dom, "no checks were made") {
		t.Error("an empty verdict is not said")
	}
}

// The checker itself must be able to fail: a page that throws and logs an
// error is caught.
func TestChromiumCheckSeesErrors(t *testing.T) {
	bin := chromium(t)
	file := filepath.Join(t.TempDir(), "broken.html")
	page := `<!DOCTYPE html><html><head><script>window.addEventListener("error", function (e) {
document.documentElement.setAttribute("data-error", e.message); });</script></head>
<body><script>console.error("logged on purpose"); undefinedFunction();</script></body></html>`
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, stderr := browse(t, bin, file)
	errs := consoleErrors(dom, stderr)
	joined := strings.Join(errs, "\n")
	if !strings.Contains(joined, "undefinedFunction") {
		t.Errorf("the thrown error was not seen; found:\n%s\nstderr:\n%s", joined, stderr)
	}
}
