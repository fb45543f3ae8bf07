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
	CountFailureAsSuccess  bool // count a non-2xx answer in Successes instead of Failures
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

// WriteFaults make the disk queue's and the dead-letter log's writes fail,
// as a full disk would, for tests of what happens then (the push fails;
// a given-up event stays queued). A nil func or a nil error writes as usual.
type WriteFaults struct {
	Queue      func() error // each disk queue Write (storing accepted events)
	DeadLetter func() error // each dead-letter log append
}

// WithWriteFaults injects write failures. Never use it in production.
func WithWriteFaults(f WriteFaults) Option {
	return func(o *options) { o.writeFaults = f }
}
