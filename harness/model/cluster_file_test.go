package model

import (
	"strings"
	"testing"

	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/runtime"
)

const clusterFile = `name: c
runtimes: [docker-cluster]
topology: {replicas: 3, storage: s3, queue: nats, balancer: true}
endpoints: [{name: sink}]
load: [{op: manifest-push, count: 1}]
chaos:
  - {at: 1s, action: kill-replica, replica: 0}
  - {at: 2s, action: partition-nats, node: 2}
`

func TestClusterScenarioFile(t *testing.T) {
	s, err := DecodeFile("c.yaml", []byte(clusterFile))
	if err != nil {
		t.Fatal(err)
	}
	if s.Topology != (runtime.Topology{Replicas: 3, Storage: "s3", Queue: "nats", Balancer: true}) {
		t.Errorf("topology %+v", s.Topology)
	}
	if s.Chaos[0].Action != (chaos.KillReplica{Replica: 0}) || s.Chaos[1].Action != (chaos.PartitionNATSNode{Node: 2}) {
		t.Errorf("chaos %+v", s.Chaos)
	}
	b, err := EncodeFile(s)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := DecodeFile("c.yaml", b); err != nil || again.Topology != s.Topology || again.Chaos[0].Action != s.Chaos[0].Action {
		t.Errorf("round trip: %v\n%s", err, b)
	}
}

func TestClusterScenarioFileProblems(t *testing.T) {
	for _, c := range []struct{ from, to, want string }{
		{"replica: 0}", "}", "kill-replica needs replica"},
		{"replica: 0}", "replica: -1}", "replica: must be >= 0"},
		{"replicas: 3, storage: s3", "replicas: 3", "need shared storage"},
		{"queue: nats", "queue: kafka", `queue "kafka"`},
	} {
		_, err := DecodeFile("c.yaml", []byte(strings.Replace(clusterFile, c.from, c.to, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s -> %s: got %v, want %q", c.from, c.to, err, c.want)
		}
	}
}
