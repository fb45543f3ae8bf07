package verdict

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
