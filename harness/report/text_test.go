package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/verdict"
)

func TestExplainSaysWhatWasCompared(t *testing.T) {
	cases := []struct {
		c    verdict.Check
		want []string
		not  []string
	}{
		{verdict.Check{Name: "Errors", Kind: verdict.KindReconcile, Registry: "17", Observed: "0 resets + 0 hangs + 0 timeouts", OK: true,
			Note: "refused connections and late timeouts are invisible to the receiver: registry >= receiver"},
			[]string{"Errors: registry counted 17 attempts with no HTTP answer; the receiver saw 0 resets + 0 hangs + 0 timeouts",
				"(tolerated: refused connections"}, nil},
		{verdict.Check{Name: "Errors", Kind: verdict.KindReconcile, Registry: "2", Observed: "1 resets + 1 hangs + 0 timeouts", OK: true},
			[]string{"registry counted 2 attempts with no HTTP answer"}, []string{"tolerated"}},
		{verdict.Check{Name: "Duplicates", Kind: verdict.KindReconcile, Registry: "-", Observed: "3", OK: true, Note: "duplicates expected: the receiver answered after the registry's timeout"},
			[]string{"the receiver accepted 3 events a second time", "(tolerated: duplicates expected"}, nil},
		{verdict.Check{Name: "Lost", Kind: verdict.KindReconcile, Registry: "Pending=0", Observed: "4 owed events never accepted by the receiver: x", OK: true,
			Note: "losses allowed by the scenario: reported, not failed"},
			[]string{"Lost: the load's ledger has 4 owed events never accepted", "still holds Pending=0", "(tolerated: losses allowed"}, nil},
		{verdict.Check{Name: "Lost", Kind: verdict.KindReconcile, Registry: "Pending=2+DeadLettered=1", Observed: "3 owed events never accepted by the receiver", OK: true,
			Note: "every event not delivered must still be pending"},
			[]string{"; every event not delivered must still be pending"}, []string{"tolerated"}},
		{verdict.Check{Name: "Final Pending", Endpoint: "b", Kind: verdict.KindExpect, Registry: "1", Observed: "0"},
			[]string{"registry's final Pending is 1; the scenario expects 0"}, nil},
		{verdict.Check{Name: "Statuses[500 Internal Server Error]", Kind: verdict.KindReconcile, Registry: "5", Observed: "5", OK: true},
			[]string{`registry counted 5 answers "500 Internal Server Error"; the receiver sent 5`}, nil},
		{verdict.Check{Name: "Successes", Kind: verdict.KindReconcile, Registry: "10", Observed: "12 2xx/3xx answers", OK: true,
			Note: "late answers are invisible to the registry: registry <= receiver"},
			[]string{"(tolerated: late answers"}, nil},
	}
	for _, c := range cases {
		got := Explain(c.c)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("Explain(%s) = %q\n lacks %q", c.c.Name, got, w)
			}
		}
		for _, w := range c.not {
			if strings.Contains(got, w) {
				t.Errorf("Explain(%s) = %q\n has %q", c.c.Name, got, w)
			}
		}
	}
}

// The table: verdict, declared differences, every chaos action once with
// its parameters, the events per endpoint, and checks in words.
func TestTextTable(t *testing.T) {
	r := syntheticResult()
	r.Load[0].Declared = []string{"blob-upload-single-post: the registry does not complete POST ?digest=: a PUT event is owed"}
	r.Chaos = []chaos.Record{
		{At: time.Second, Action: "set-profile", Endpoint: "a", Params: `profile={"status":500}`},
		{At: 3 * time.Second, Action: "latency", Endpoint: "b", Params: "delay=200ms", Error: "no proxy"},
	}
	r.Verdict.Checks = append(r.Verdict.Checks,
		verdict.Check{Endpoint: "a", Kind: verdict.KindExpect, Name: "Chaos set-profile", Registry: "-", Observed: "performed", OK: true},
		verdict.Check{Endpoint: "b", Kind: verdict.KindExpect, Name: "Chaos latency", Registry: "no proxy", Observed: "performed"},
		verdict.Check{Endpoint: "a", Kind: verdict.KindExpect, Name: "Monotonic", Registry: "-", Observed: "counters never go down", OK: true})
	var b bytes.Buffer
	Text(&b, r)
	out := b.String()
	for _, want := range []string{
		"scenario synthetic (none runtime): FAIL",
		"(declared difference, expected: manifest-push: blob-upload-single-post",
		"at 1s", `set-profile  a  profile={"status":500}  done`,
		"delay=200ms             FAILED: no proxy",
		"a: 0 owed, 0 delivered, 0 lost, 0 duplicates, 0 unexpected, 0 content mismatches",
		"ok   Pending: registry ends with 0 events pending; the scenario expects 0",
		"FAIL Final Pending: registry's final Pending is 1; the scenario expects 0",
		"FAIL endpoint b: Final Pending: registry 1, expected 0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "set-profile"); n != 1 {
		t.Errorf("set-profile printed %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "endpoint a:"); n != 1 {
		t.Errorf("endpoint a's checks in %d groups, want 1:\n%s", n, out)
	}
	r.Interrupted = true
	b.Reset()
	Text(&b, r)
	if !strings.Contains(b.String(), ": INTERRUPTED in") {
		t.Errorf("interrupted run:\n%s", b.String())
	}
}
