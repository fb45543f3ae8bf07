package harness

import (
	"fmt"
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
