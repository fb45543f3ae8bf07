package report

import (
	"strings"
	"testing"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/runtime"
)

func TestTextShowsEachReplica(t *testing.T) {
	r := &harness.Result{Scenario: "c", Endpoints: []string{"sink"},
		Topology: runtime.Topology{Replicas: 2, Storage: runtime.StorageS3, Queue: runtime.QueueNATS},
		Replicas: []runtime.Replica{{Name: "replica-0"}, {Name: "replica-1"}},
		Samples: []observe.Sample{{Replicas: []observe.ReplicaSample{
			{Name: "replica-0", Endpoints: map[string]endpoint.EndpointMetrics{"sink": {Events: 7, Successes: 5}}},
			{Name: "replica-1", Endpoints: map[string]endpoint.EndpointMetrics{"sink": {Events: 4}}, Error: "refused", Stale: true},
		}}}}
	var b strings.Builder
	Text(&b, r)
	for _, want := range []string{"2 replica(s) on s3 storage, nats queue", "Pending cluster-wide", "replica-0  sink", "not answering: refused (last counters kept)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}

func TestHTMLHasAReplicaChart(t *testing.T) {
	r := &harness.Result{Scenario: "c", Endpoints: []string{"sink"},
		Topology: runtime.Topology{Replicas: 2, Storage: runtime.StorageS3},
		Replicas: []runtime.Replica{{Name: "replica-0"}, {Name: "replica-1"}},
		Samples: []observe.Sample{{Replicas: []observe.ReplicaSample{
			{Name: "replica-0", Endpoints: map[string]endpoint.EndpointMetrics{"sink": {Events: 7, Successes: 5}}},
			{Name: "replica-1", Error: "refused", Stale: true},
		}}}}
	var b strings.Builder
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Counters per replica", "replica-1 sink Successes"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in the page", want)
		}
	}
	cs := charts(r, axis(r))
	if got := cs[len(cs)-1]; got.ID != "replicas" || len(got.Series) != 4 {
		t.Errorf("last chart %s with %d series, want replicas with 4", got.ID, len(got.Series))
	}
}
