package verdict

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/observe"
)

func TestCountDeadLetterEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dl.jsonl")
	if err := os.WriteFile(path, []byte(`{"events":[{"id":"a"},{"id":"b"}]}`+"\n"+`{"events":[{"id":"c"}]}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := CountDeadLetterEvents(path); n != 3 || err != nil {
		t.Errorf("got %d, %v; want 3", n, err)
	}
	if err := os.WriteFile(path, []byte("{\"events\":[{}]}\n{broken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := CountDeadLetterEvents(path); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("damaged line: %v", err)
	}
}

func TestExpectationsAreNamedChecks(t *testing.T) {
	t0 := time.Unix(1000, 0)
	sample := func(ms int, m endpoint.EndpointMetrics) observe.Sample {
		return observe.Sample{At: t0.Add(time.Duration(ms) * time.Millisecond), Endpoints: map[string]endpoint.EndpointMetrics{"sink": m}}
	}
	sc := model.Scenario{Name: "x", Endpoints: []model.EndpointDef{{Name: "sink"}}, Expect: model.Expect{
		Final:      map[string]model.Counters{"sink": {"Pending": 0, "Events": 3}},
		Throughout: []model.Condition{{Endpoint: "sink", Counter: "Pending", Op: "<=", Value: 2}},
		Eventually: []model.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">", Value: 0}},
	}}
	run := Run{Scenario: sc, Started: t0,
		Final:   map[string]endpoint.EndpointMetrics{"sink": {Events: 3, Pending: 1}},
		Samples: []observe.Sample{sample(0, endpoint.EndpointMetrics{Events: 2, Pending: 2}), sample(50, endpoint.EndpointMetrics{Events: 1, Pending: 3})},
		Chaos:   []chaos.Record{{Action: "stop-endpoint", Endpoint: "sink", Error: "boom"}},
	}
	checks, _ := Expectations(run)
	v := Verdict{Checks: checks}
	var failed []string
	for _, c := range v.Failed() {
		failed = append(failed, c.Name)
		if c.Kind != KindExpect || c.Endpoint != "sink" {
			t.Errorf("check %s: kind %q endpoint %q", c.Name, c.Kind, c.Endpoint)
		}
	}
	want := "Chaos stop-endpoint,Final Pending,Throughout sink Pending <= 2,At some point sink Errors > 0,Monotonic"
	if strings.Join(failed, ",") != want {
		t.Errorf("failed %q,\nwant   %q", strings.Join(failed, ","), want)
	}
	if err := v.Err(); err == nil || !strings.Contains(err.Error(), "Final Pending: registry 1, expected 0") {
		t.Errorf("error does not show both sides: %v", err)
	}
	// Held everywhere: nothing fails.
	run.Final["sink"] = endpoint.EndpointMetrics{Events: 3}
	run.Samples = []observe.Sample{sample(0, endpoint.EndpointMetrics{Events: 2, Pending: 2, Errors: 1})}
	run.Chaos[0].Error = ""
	if checks, _ := Expectations(run); !(Verdict{Checks: checks}).Passed() {
		t.Errorf("held expectations failed: %v", Verdict{Checks: checks}.Err())
	}
}
