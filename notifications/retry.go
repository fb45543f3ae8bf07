package notifications

import (
	"context"
	"sync"
	"time"
)

// retryingSink retries the next stage until it succeeds, forever, as
// Distribution does: the first threshold consecutive failures are retried
// at once, after that one attempt per backoff (no growth). The count of
// consecutive failures spans events and resets on a success.
type retryingSink struct {
	next      Sink
	threshold int
	backoff   time.Duration
	onFailure func(err error) // told of every failed attempt (it logs, rate-limited)

	mu       sync.Mutex // one Write at a time: retries keep the order of events
	failures int
}

func (r *retryingSink) Write(ctx context.Context, events ...Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if r.failures >= r.threshold {
			if timer == nil {
				timer = time.NewTimer(r.backoff)
			} else {
				timer.Reset(r.backoff)
			}
			select {
			case <-timer.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := r.next.Write(ctx, events...)
		if err == nil {
			r.failures = 0
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.failures++
		if r.onFailure != nil {
			r.onFailure(err)
		}
	}
}

func (r *retryingSink) Close() error { return r.next.Close() }
