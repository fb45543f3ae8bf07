package notifications

import (
	"context"
	"sync"
)

// Faults are deliberate bugs for the harness's self-test: a harness that
// reconciles the registry's counters with what a receiver observed must
// notice each of them. Never set them in production.
type Faults struct {
	DropOneIn              int  // drop every Nth event before the queue, silently and uncounted
	ForgetPendingDecrement bool // leave Pending up after a delivery
	CountFailureAsSuccess  bool // count a non-2xx/3xx answer in Successes instead of Failures
}

// dropper is the DropOneIn fault as a stage in front of the queue.
type dropper struct {
	mu    sync.Mutex
	n     int
	every int
	next  Sink
}

func (d *dropper) Write(ctx context.Context, events ...Event) error {
	kept := events[:0:0]
	d.mu.Lock()
	for _, e := range events {
		d.n++
		if d.n%d.every != 0 {
			kept = append(kept, e)
		}
	}
	d.mu.Unlock()
	if len(kept) == 0 {
		return nil
	}
	return d.next.Write(ctx, kept...)
}

func (d *dropper) Close() error { return d.next.Close() }
