package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DeliverySettings is an endpoint's opt-in delivery settings beyond Distribution's
// (our registry only: notifications.Delivery). The zero value renders
// nothing, so Distribution-compatible scenarios keep their exact config.
type DeliverySettings struct {
	// DiskQueue puts the endpoint's queue in a bbolt file beside the
	// registry's storage (so it survives kill -9 and restarts).
	DiskQueue      bool
	BatchMaxEvents int
	BatchMaxWait   time.Duration
	Concurrency    int
	Secrets        []string // "whsec_..." Standard Webhooks signing secrets
	MaxAttempts    int
	MaxAge         time.Duration
	RetryBackoff   time.Duration
	MaxBackoff     time.Duration
	// DeadLetter writes given-up events to DeadLetterPath(name).
	DeadLetter bool
	On4xx      bool
}

// DeadLetterFile is the dead-letter log's file name, in the storage directory.
func DeadLetterFile(endpoint string) string { return "deadletter-" + endpoint + ".jsonl" }

// QueueFile is the disk queue's file name, in the storage directory.
func QueueFile(endpoint string) string { return "queue-" + endpoint + ".db" }

func (d DeliverySettings) yaml(endpoint string) string {
	var b strings.Builder
	if d.DiskQueue {
		fmt.Fprintf(&b, "      queue:\n        kind: disk\n        path: {{.StorageDir}}/%s\n", QueueFile(endpoint))
	}
	if d.BatchMaxEvents > 0 || d.BatchMaxWait > 0 {
		fmt.Fprintf(&b, "      batch:\n        maxevents: %d\n        maxwait: %s\n", d.BatchMaxEvents, d.BatchMaxWait)
	}
	if d.Concurrency > 0 {
		fmt.Fprintf(&b, "      concurrency: %d\n", d.Concurrency)
	}
	if len(d.Secrets) > 0 {
		fmt.Fprintf(&b, "      signing:\n        secrets: %s\n", list(d.Secrets))
	}
	if d.MaxAttempts > 0 || d.MaxAge > 0 || d.RetryBackoff > 0 || d.MaxBackoff > 0 {
		fmt.Fprintf(&b, "      retry:\n        maxattempts: %d\n        maxage: %s\n        backoff: %s\n        maxbackoff: %s\n",
			d.MaxAttempts, d.MaxAge, d.RetryBackoff, d.MaxBackoff)
	}
	if d.DeadLetter || d.On4xx {
		b.WriteString("      deadletter:\n")
		if d.DeadLetter {
			fmt.Fprintf(&b, "        path: {{.StorageDir}}/%s\n", DeadLetterFile(endpoint))
		}
		fmt.Fprintf(&b, "        on4xx: %v\n", d.On4xx)
	}
	return b.String()
}

// checkHeap reports the first sample whose HeapAlloc exceeds the bound.
func checkHeap(sc Scenario, r *Result) []string {
	if sc.Expect.MaxHeapAlloc == 0 {
		return nil
	}
	for _, s := range r.Samples {
		if s.Error == "" && s.Mem.HeapAlloc > sc.Expect.MaxHeapAlloc {
			return []string{fmt.Sprintf("heap: HeapAlloc %d MiB at %s, bound %d MiB",
				s.Mem.HeapAlloc>>20, s.At.Sub(r.Started).Round(time.Millisecond), sc.Expect.MaxHeapAlloc>>20)}
		}
	}
	return nil
}

// LocalStorage is implemented by runtimes whose registry storage directory
// is a path on this host, so files a scenario's registry writes there (a
// dead-letter log) can be read back.
type LocalStorage interface {
	StorageDir() string
}

// checkDeadLetterFiles counts the events in each endpoint's dead-letter log
// against Expect.DeadLetterEvents; a runtime without local storage gets a
// note instead (the DeadLettered counter is still checked).
func checkDeadLetterFiles(sc Scenario, rt Runtime, r *Result) []string {
	if len(sc.Expect.DeadLetterEvents) == 0 {
		return nil
	}
	ls, ok := rt.(LocalStorage)
	if !ok {
		r.Notes = append(r.Notes, "dead-letter files not checked: the runtime's storage is not on this host")
		return nil
	}
	var v []string
	for _, name := range sortedKeysInt(sc.Expect.DeadLetterEvents) {
		want := sc.Expect.DeadLetterEvents[name]
		path := filepath.Join(ls.StorageDir(), DeadLetterFile(name))
		got, err := countDeadLetterEvents(path)
		if err != nil {
			v = append(v, fmt.Sprintf("dead-letter file of %s: %v", name, err))
			continue
		}
		if got != want {
			v = append(v, fmt.Sprintf("dead-letter file of %s: %d events in %s, expected %d", name, got, path, want))
		}
	}
	return v
}

// countDeadLetterEvents counts events in a JSON-lines dead-letter log
// (notifications.DeadLetterRecord: {"events": [...]}, one per line).
func countDeadLetterEvents(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for line := 1; sc.Scan(); line++ {
		var rec struct {
			Events []json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return n, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		n += len(rec.Events)
	}
	return n, sc.Err()
}

func sortedKeysInt(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

// isZero reports Distribution's behaviour: no setting of ours.
func (d DeliverySettings) isZero() bool { return d.yaml("") == "" }
