package harness

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
	"github.com/hookbench/hookbench/notifications"
)

func stubScenario() model.Scenario {
	return model.Scenario{
		Name:      "stub-4xx",
		Endpoints: []model.EndpointDef{{Name: "sink", Profile: endpoint.Profile{Fault: endpoint.Fault{Sequence: []int{404, 200}}}}},
		Load: []load.Profile{
			{Op: load.OpManifestPush, Count: 10, Pacing: load.Pacing{Rate: 200}},
			{Op: load.OpPull, Count: 5, Pacing: load.Pacing{Rate: 200}, RepoPrefix: "pull"},
		},
		Expect: model.Expect{Final: map[string]model.Counters{"sink": {"Events": 20, "Successes": 20, "Failures": 20, "Pending": 0, "Statuses[404 Not Found]": 20}}},
	}
}

func TestRunReconcilesAgainstAStubPipeline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt := newStubRuntime()
	defer rt.Close(ctx)
	progress := 0
	res, err := Run(ctx, rt, stubScenario(), RunOptions{SampleInterval: 20 * time.Millisecond, Progress: func(Progress) { progress++ }})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if len(res.Ledger) != 20 || len(res.Samples) == 0 || progress == 0 {
		t.Fatalf("ledger %d samples %d progress %d", len(res.Ledger), len(res.Samples), progress)
	}
}

func TestRunCatchesForgottenPendingDecrement(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt := newStubRuntime()
	defer rt.Close(ctx)
	res, err := Run(ctx, rt, stubScenario(), RunOptions{Faults: notifications.Faults{ForgetPendingDecrement: true}, DrainTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = res.Err()
	if err == nil || !strings.Contains(err.Error(), "Pending: registry 20") {
		t.Fatalf("want a Pending failure showing the registry's 20, got %v", err)
	}
}

func TestRunRefusesWhatTheRuntimeCannotDo(t *testing.T) {
	ctx := context.Background()
	rt := newStubRuntime()
	defer rt.Close(ctx)
	sc := stubScenario()
	sc.Chaos = []chaos.Step{{Action: chaos.PauseEndpoint{Endpoint: "sink"}}}
	_, err := Run(ctx, rt, sc, RunOptions{})
	var missing *MissingError
	if !errorsAs(err, &missing) || missing.Missing[0] != "pause-endpoint" || !strings.Contains(err.Error(), "chaos.EndpointPauser") {
		t.Fatalf("want MissingError naming pause-endpoint, got %v", err)
	}
	if len(rt.fakes) != 0 {
		t.Fatalf("refused after starting %d endpoints: must be refused before anything starts", len(rt.fakes))
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// A config template of the user's own gets the scenario's notifications
// block where it says {{.Notifications}}.
func TestRunFillsTheUsersConfigTemplate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt := newStubRuntime()
	defer rt.Close(ctx)
	sc := stubScenario()
	sc.Load = sc.Load[:1]
	sc.Expect = model.Expect{}
	tmpl := "version: 0.1\nhttp:\n  addr: {{.Addr}}\n{{.Notifications}}"
	if _, err := Run(ctx, rt, sc, RunOptions{ConfigTemplate: tmpl, DrainTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	sink := rt.fakes["sink"].url
	if !strings.HasPrefix(rt.config, "version: 0.1\nhttp:\n  addr: {{.Addr}}\nnotifications:\n  endpoints:\n    - name: sink\n      url: "+sink) {
		t.Fatalf("rendered template:\n%s", rt.config)
	}
}

// Ctrl-C mid-load: the run stops its load, drains briefly and returns a
// partial result marked interrupted instead of an error.
func TestRunInterruptedReturnsAPartialResult(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rt := newStubRuntime()
	defer rt.Close(context.Background())
	sc := stubScenario()
	sc.Load = []load.Profile{{Op: load.OpManifestPush, Count: 100000, Pacing: load.Pacing{Rate: 200}}}
	var last Progress
	res, err := Run(ctx, rt, sc, RunOptions{SampleInterval: 20 * time.Millisecond, InterruptDrain: time.Second,
		Progress: func(p Progress) {
			last = p
			if p.Hits >= 10 {
				cancel()
			}
		}})
	if err != nil {
		t.Fatalf("an interrupted run is a result, not an error: %v", err)
	}
	if !res.Interrupted || len(res.Ledger) == 0 || len(res.Ledger) >= 100000 {
		t.Fatalf("interrupted %v with %d ledger entries", res.Interrupted, len(res.Ledger))
	}
	if last.TotalHits != 100000 {
		t.Fatalf("progress plan: %d hits, want 100000", last.TotalHits)
	}
	if len(res.Final) != 1 || len(res.Verdict.Checks) == 0 {
		t.Fatalf("partial run not observed: final %v, %d checks", res.Final, len(res.Verdict.Checks))
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "interrupted during the load") {
		t.Fatalf("notes %q", res.Notes)
	}
}

// Interrupted while draining a queue that never drains: the result comes
// back marked interrupted, without waiting out the scenario's drain.
func TestRunInterruptedDuringTheDrain(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rt := newStubRuntime()
	defer rt.Close(context.Background())
	sc := stubScenario()
	sc.Load = sc.Load[:1]
	var once sync.Once
	var lastDrain atomic.Int64 // the drain bound the display showed last
	res, err := Run(ctx, rt, sc, RunOptions{SampleInterval: 20 * time.Millisecond, DrainTimeout: time.Minute, InterruptDrain: time.Second,
		Faults: notifications.Faults{ForgetPendingDecrement: true},
		Progress: func(p Progress) {
			if p.Phase == "drain" {
				lastDrain.Store(int64(p.Drain))
				once.Do(cancel)
			}
		}})
	if err != nil {
		t.Fatalf("an interrupted run is a result, not an error: %v", err)
	}
	if !res.Interrupted || res.DrainDuration > 30*time.Second || len(res.Ledger) < 10 {
		t.Fatalf("interrupted %v, drain %s, %d ledger entries", res.Interrupted, res.DrainDuration, len(res.Ledger))
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "interrupted during the drain") {
		t.Fatalf("notes %q", res.Notes)
	}
	if d := time.Duration(lastDrain.Load()); d != time.Second {
		t.Fatalf("the display's drain bound after the interruption: %s, want the cut 1s", d)
	}
}
