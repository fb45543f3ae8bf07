package notifications

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// retryingSink retries the next stage until it succeeds. By default it
// does so forever, as Distribution does: the first threshold consecutive
// failures are retried at once, after that one attempt per backoff (no
// growth), the count of consecutive failures spanning events and reset by
// a success. With a Retry policy it backs off exponentially with jitter
// and, past MaxAttempts or MaxAge (or at once on a 4xx with On4xx, or on
// 410 Gone), hands the events to deadLetter and moves on. A Retry-After on
// 429 or 503 lengthens the next wait, up to the backoff ceiling.
type retryingSink struct {
	next      Sink
	threshold int
	backoff   time.Duration
	policy    Retry
	on4xx     bool
	onFailure func(err error) // told of every failed attempt (it logs, rate-limited)
	// deadLetter takes events given up on; nil means never give up. When it
	// fails (the dead-letter log cannot be written) the events are not
	// handled: they stay at the head of the queue and are retried.
	deadLetter func(events []Event, attempts int, err error) error
	now        func() time.Time
	listener   metricsListener // counts retries; nil in unit tests

	mu         sync.Mutex // one Write at a time: retries keep the order of events
	failures   int
	retryAfter time.Duration // asked for by the last answer (429/503), 0: none
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
	for attempts := 0; ; {
		if wait := r.wait(); wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case <-timer.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if attempts > 0 && r.listener != nil {
			r.listener.retry()
		}
		err := r.next.Write(ctx, events...)
		attempts++
		if err == nil {
			r.failures = 0
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.failures++
		var es errStatus
		if errors.As(err, &es) {
			r.retryAfter = es.retryAfter
		}
		if r.onFailure != nil {
			r.onFailure(err)
		}
		if r.giveUp(events, attempts, err) && r.deadLetter(events, attempts, err) == nil {
			return nil // set aside: the queue moves on
		}
	}
}

// wait is how long to wait before the next attempt: the backoff, or what
// the receiver asked for with Retry-After when longer, up to the ceiling
// (retry.maxbackoff when set, else the endpoint's backoff).
func (r *retryingSink) wait() time.Duration {
	d := r.backoffWait()
	if ra := r.retryAfter; ra > 0 {
		r.retryAfter = 0
		ceiling := r.policy.MaxBackoff
		if ceiling <= 0 {
			ceiling = r.backoff
		}
		d = max(d, min(ra, ceiling))
	}
	return d
}

func (r *retryingSink) backoffWait() time.Duration {
	if r.policy.Backoff <= 0 { // Distribution's breaker
		if r.failures >= r.threshold {
			return r.backoff
		}
		return 0
	}
	if r.failures == 0 {
		return 0
	}
	d := r.policy.Backoff << min(r.failures-1, 30)
	if d <= 0 || (r.policy.MaxBackoff > 0 && d > r.policy.MaxBackoff) {
		d = r.policy.MaxBackoff
	}
	if d <= 0 {
		d = r.policy.Backoff
	}
	return d/2 + rand.N(d/2+1) // equal jitter: endpoints recovering together do not retry in step
}

func (r *retryingSink) giveUp(events []Event, attempts int, err error) bool {
	if r.deadLetter == nil {
		return false
	}
	var es errStatus
	if errors.As(err, &es) && es.code == http.StatusGone {
		return true // the receiver says it is gone for good
	}
	if r.on4xx && errors.As(err, &es) && es.code >= 400 && es.code < 500 &&
		es.code != http.StatusRequestTimeout && es.code != http.StatusTooManyRequests {
		return true
	}
	if r.policy.MaxAttempts > 0 && attempts >= r.policy.MaxAttempts {
		return true
	}
	if r.policy.MaxAge > 0 && len(events) > 0 && r.now().Sub(events[0].Timestamp) >= r.policy.MaxAge {
		return true
	}
	return false
}

func (r *retryingSink) Close() error { return r.next.Close() }
