package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDeliverySettingsRender(t *testing.T) {
	if got := (DeliverySettings{}).yaml("sink"); got != "" {
		t.Errorf("zero settings must render nothing (Distribution's config), got %q", got)
	}
	got := DeliverySettings{DiskQueue: true, Concurrency: 8, Secrets: []string{"whsec_a"}, MaxAttempts: 2,
		RetryBackoff: 10 * time.Millisecond, DeadLetter: true, On4xx: true}.yaml("sink")
	for _, want := range []string{
		"      queue:\n        kind: disk\n        path: {{.StorageDir}}/queue-sink.db\n",
		"      concurrency: 8\n",
		"      signing:\n        secrets: [\"whsec_a\"]\n",
		"        maxattempts: 2\n",
		"        backoff: 10ms\n",
		"      deadletter:\n        path: {{.StorageDir}}/deadletter-sink.jsonl\n        on4xx: true\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered %q lacks %q", got, want)
		}
	}
}

func TestCountDeadLetterEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dl.jsonl")
	if err := os.WriteFile(path, []byte(`{"events":[{"id":"a"},{"id":"b"}]}`+"\n"+`{"events":[{"id":"c"}]}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := countDeadLetterEvents(path); n != 3 || err != nil {
		t.Errorf("got %d, %v; want 3", n, err)
	}
	if err := os.WriteFile(path, []byte("{\"events\":[{}]}\n{broken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := countDeadLetterEvents(path); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("damaged line: %v", err)
	}
}

func TestDeliverySettingsNeedOwnRegistry(t *testing.T) {
	sc := Scenario{Name: "x", Endpoints: []EndpointDef{{Name: "sink", Delivery: DeliverySettings{Concurrency: 2}}}}
	missing := sc.Missing(Capabilities{}, Registry{DebugURL: "http://d"})
	if len(missing) != 1 || missing[0] != NeedOwnRegistry {
		t.Errorf("missing %v, want [own-registry]", missing)
	}
	sc.Endpoints[0].Delivery = DeliverySettings{}
	if missing := sc.Missing(Capabilities{}, Registry{DebugURL: "http://d"}); len(missing) != 0 {
		t.Errorf("Distribution-compatible scenario needs %v", missing)
	}
}
