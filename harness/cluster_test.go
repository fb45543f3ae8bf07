package harness

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime"
)

// A clustered scenario on a runtime that is not a cluster (or runs
// another topology) is refused before anything starts.
func TestClusteredScenarioRefusedOnASingleRegistry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt := newStubRuntime()
	defer rt.Close(ctx)
	sc := stubScenario()
	sc.Topology = runtime.Topology{Replicas: 3, Storage: runtime.StorageS3, Balancer: true}
	_, err := Run(ctx, rt, sc, RunOptions{})
	var missing *MissingError
	if !errors.As(err, &missing) || !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "3 replica(s) on s3") {
		t.Fatalf("got %v, want a MissingError naming the topology", err)
	}
	if len(rt.fakes) != 0 {
		t.Errorf("endpoints were started before the refusal")
	}
}

// The topology's disk queue gives every endpoint a queue file.
func TestTopologyDiskQueueInConfig(t *testing.T) {
	sc := stubScenario()
	sc.Topology = runtime.Topology{Queue: runtime.QueueDisk}
	tmpl, err := sc.ConfigTemplate(map[string]string{"sink": "http://sink/"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tmpl, "kind: disk") || !strings.Contains(tmpl, "{{.StorageDir}}/"+model.QueueFile("sink")) {
		t.Errorf("no disk queue:\n%s", tmpl)
	}
}
