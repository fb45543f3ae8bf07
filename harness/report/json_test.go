package report

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/verdict"
)

// report.json: a top-level verdict, failures by name, durations as
// strings everywhere, an events summary per endpoint, and no per-event
// detail (that is in events.json.gz).
func TestReportJSONShape(t *testing.T) {
	dir := t.TempDir()
	r := syntheticResult()
	r.Chaos = []chaos.Record{{At: 1520 * time.Millisecond, Action: "latency", Endpoint: "a", Params: "delay=200ms"}}
	r.Reconciliation = verdict.Reconciliation{Endpoints: []verdict.EndpointReconciliation{{Name: "a", Owed: 100, Delivered: 98, Duplicates: 1}}}
	if _, err := WriteJSON(dir, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["verdict"] != "fail" {
		t.Errorf("verdict %v, want fail", doc["verdict"])
	}
	fails, _ := doc["failures"].([]any)
	if len(fails) != 1 {
		t.Fatalf("failures %v, want the one failed check", doc["failures"])
	}
	f := fails[0].(map[string]any)
	for k, want := range map[string]string{"name": "Final Pending", "endpoint": "b", "kind": "expect", "registry": "1", "observed": "0"} {
		if f[k] != want {
			t.Errorf("failure %s = %v, want %q", k, f[k], want)
		}
	}
	if doc["duration"] != "3s" {
		t.Errorf("duration %v, want \"3s\"", doc["duration"])
	}
	chaosStep := doc["chaos"].([]any)[0].(map[string]any)
	if chaosStep["at"] != "1.52s" || chaosStep["params"] != "delay=200ms" {
		t.Errorf("chaos step %v", chaosStep)
	}
	// No duration written as a bare number of nanoseconds anywhere.
	walk(doc, "", func(path string, v any) {
		key := path[strings.LastIndex(path, ".")+1:]
		if durationKey.MatchString(key) && !strings.Contains(path, ".bytes_") {
			if _, ok := v.(float64); ok {
				t.Errorf("%s = %v: a duration in nanoseconds", path, v)
			}
		}
	})
	ep := doc["endpoints"].([]any)[0].(map[string]any)
	ev := ep["events"].(map[string]any)
	if ev["owed"] != 100.0 || ev["delivered"] != 98.0 || ev["duplicates"] != 1.0 || ev["lost"] != 0.0 {
		t.Errorf("events summary %v", ev)
	}
	for _, k := range []string{"ledger", "deliveries", "samples", "detail"} {
		if _, ok := doc[k]; ok {
			t.Errorf("report.json carries per-event %q", k)
		}
	}
	if doc["detailFile"] != DetailFile {
		t.Errorf("detailFile %v", doc["detailFile"])
	}
	// The detail is beside it, and reading the report gets it back.
	zf, err := os.Open(filepath.Join(dir, DetailFile))
	if err != nil {
		t.Fatal(err)
	}
	defer zf.Close()
	zr, err := gzip.NewReader(zf)
	if err != nil {
		t.Fatal(err)
	}
	var d Detail
	if err := json.NewDecoder(zr).Decode(&d); err != nil || len(d.Deliveries["a"]) != 100 || len(d.Samples) != 60 {
		t.Fatalf("detail: %v, %d deliveries, %d samples", err, len(d.Deliveries["a"]), len(d.Samples))
	}
	back, err := ReadJSON(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Samples) != 60 || len(back.Load[0].Hits) != 100 || back.Load[0].Metrics.Latencies.P50 != r.Load[0].Metrics.Latencies.P50.Round(10*time.Microsecond) ||
		back.Chaos[0].At != 1520*time.Millisecond {
		t.Fatalf("round trip: %d samples, %d hits, p50 %s, chaos at %s", len(back.Samples), len(back.Load[0].Hits), back.Load[0].Metrics.Latencies.P50, back.Chaos[0].At)
	}
}

var durationKey = regexp.MustCompile(`^(duration|loadDuration|drainDuration|at|latency|total|mean|50th|90th|95th|99th|max|min|p50|p90|p99|wait|timeout|period)$`)

func walk(v any, path string, f func(string, any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			walk(c, path+"."+k, f)
		}
	case []any:
		for _, c := range x {
			walk(c, path+"[]", f)
		}
	default:
		f(path, v)
	}
}

func TestVerdictOf(t *testing.T) {
	r := syntheticResult()
	if v := VerdictOf(r); v != VerdictFail {
		t.Fatalf("%s", v)
	}
	r.Verdict.Checks = r.Verdict.Checks[:1]
	if v := VerdictOf(r); v != VerdictPass {
		t.Fatalf("%s", v)
	}
	r.Interrupted = true
	if v := VerdictOf(r); v != VerdictInterrupted {
		t.Fatalf("%s", v)
	}
}

// WithDetail puts the detail inline; a summary without it has none.
func TestDetailInlineOrNot(t *testing.T) {
	r := syntheticResult()
	var plain, full bytes.Buffer
	if err := EncodeSummary(&plain, r); err != nil {
		t.Fatal(err)
	}
	if err := EncodeSummary(&full, r, WithDetail()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), `"detail"`) || !strings.Contains(full.String(), `"detail"`) {
		t.Fatalf("detail inline only with WithDetail")
	}
	if plain.Len()*5 > full.Len() {
		t.Fatalf("summary %d bytes against %d with detail: not much smaller", plain.Len(), full.Len())
	}
}
