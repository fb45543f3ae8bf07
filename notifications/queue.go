package notifications

import (
	"context"
	"time"
)

// memoryQueue is Distribution's queue: an unbounded in-memory FIFO. Write
// appends and returns at once; one goroutine hands the head event to the
// next stage and removes it only once that stage has delivered it, so the
// head blocks the endpoint until delivered (as in Distribution) and an
// event in flight at shutdown is still counted as pending.
type memoryQueue struct {
	next     Sink
	listener metricsListener
	batch    Batch // MaxEvents <= 1: one event per Write, as Distribution

	queueLife
	events fifo          // pending, head first; guarded by mu
	wake   chan struct{} // capacity 1: "there may be work"
}

func newMemoryQueue(next Sink, l metricsListener, batch Batch) *memoryQueue {
	if batch.MaxEvents < 1 {
		batch.MaxEvents = 1
	}
	q := &memoryQueue{next: next, listener: l, batch: batch, wake: make(chan struct{}, 1)}
	go q.run(q.start())
	return q
}

// Write accepts events; it never blocks on delivery.
func (q *memoryQueue) Write(_ context.Context, events ...Event) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return errClosed
	}
	for _, e := range events {
		q.events.push(e)
	}
	q.listener.ingress(events...)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// Len is the number of events not yet delivered, including one in flight.
func (q *memoryQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.events.len()
}

func (q *memoryQueue) oldest() (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.events.len() == 0 {
		return time.Time{}, false
	}
	return q.events.peek().Timestamp, true
}

// Flush waits until every accepted event is delivered or ctx is done
// (at once when closed: nothing will be delivered any more).
func (q *memoryQueue) Flush(ctx context.Context) error {
	return q.flush(ctx, q.events.len)
}

// undelivered copies the events not yet delivered, in flight included.
func (q *memoryQueue) undelivered() []Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.events.peekN(q.events.len())
}

// Close stops delivery at once (an attempt in flight is cancelled) and
// closes the next stage. Events still queued stay counted in Len.
func (q *memoryQueue) Close() error { return q.stop(q.next) }

func (q *memoryQueue) run(ctx context.Context) {
	defer close(q.done)
	for {
		if !waitForBatch(ctx, q.batch, q.Len, q.wake) {
			return
		}
		q.mu.Lock()
		events := q.events.peekN(q.batch.MaxEvents)
		q.mu.Unlock()

		if err := q.next.Write(ctx, events...); err != nil {
			return // only when ctx is done: the retrying stage never gives up
		}

		q.mu.Lock()
		q.events.popN(len(events))
		q.listener.egress(events...) // before Flush can see the queue empty
		if q.events.len() == 0 {
			q.emptied()
		}
		q.mu.Unlock()
	}
}

// waitForBatch waits until there is something to send: any event, or
// with batch.MaxWait set, a full batch or an event that has waited
// MaxWait. It returns false when ctx is done. Shared by both queues.
func waitForBatch(ctx context.Context, batch Batch, pending func() int, wake <-chan struct{}) bool {
	var timer <-chan time.Time
	for {
		n := pending()
		switch {
		case n >= batch.MaxEvents, n > 0 && batch.MaxWait <= 0:
			return true
		case n > 0 && timer == nil:
			t := time.NewTimer(batch.MaxWait)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-wake:
		case <-timer:
			return true
		case <-ctx.Done():
			return false
		}
	}
}
