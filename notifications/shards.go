package notifications

import (
	"context"
	"errors"
	"hash/fnv"
	"time"
)

// queue is the stage that holds accepted events until delivered: what
// Shutdown drains and counts. A durable queue would implement it too.
type queue interface {
	Sink
	Len() int                        // accepted and not yet delivered, in flight included
	Flush(ctx context.Context) error // wait until empty or ctx done
	oldest() (time.Time, bool)       // timestamp of the oldest undelivered event, if any
}

// shardedQueue delivers up to len(shards) POSTs at once: each repository
// always maps to the same shard, a FIFO with its own retrying stage, so
// one repository's events stay in order while others go in parallel.
type shardedQueue struct {
	shards []queue
}

// newShardedQueue makes n shards; on error it closes those already made.
func newShardedQueue(n int, newShard func(i int) (queue, error)) (*shardedQueue, error) {
	s := &shardedQueue{}
	for i := range n {
		q, err := newShard(i)
		if err != nil {
			_ = s.Close()
			return nil, err
		}
		s.shards = append(s.shards, q)
	}
	return s, nil
}

// shard maps a repository to its shard with a hash that is the same in
// every process, so a disk queue's shards mean the same after a restart.
func (s *shardedQueue) shard(repo string) queue {
	h := fnv.New64a()
	h.Write([]byte(repo))
	return s.shards[h.Sum64()%uint64(len(s.shards))]
}

func (s *shardedQueue) oldest() (time.Time, bool) {
	var first time.Time
	found := false
	for _, q := range s.shards {
		if t, ok := q.oldest(); ok && (!found || t.Before(first)) {
			first, found = t, true
		}
	}
	return first, found
}

func (s *shardedQueue) durable() bool { return isDurable(s.shards[0]) }

// isDurable reports whether what q holds outlives the process.
func isDurable(q queue) bool {
	d, ok := q.(interface{ durable() bool })
	return ok && d.durable()
}

// Write gives each shard its events in one Write, so that a disk shard
// stores the events of one request together or not at all.
func (s *shardedQueue) Write(ctx context.Context, events ...Event) error {
	if len(events) == 1 {
		return s.shard(events[0].Target.Repository).Write(ctx, events...)
	}
	var order []queue
	by := map[queue][]Event{}
	for _, e := range events {
		q := s.shard(e.Target.Repository)
		if by[q] == nil {
			order = append(order, q)
		}
		by[q] = append(by[q], e)
	}
	var errs []error
	for _, q := range order {
		errs = append(errs, q.Write(ctx, by[q]...))
	}
	return errors.Join(errs...)
}

// undelivered is what the memory shards still hold (after Close).
func (s *shardedQueue) undelivered() []Event {
	var out []Event
	for _, q := range s.shards {
		if u, ok := q.(interface{ undelivered() []Event }); ok {
			out = append(out, u.undelivered()...)
		}
	}
	return out
}

func (s *shardedQueue) Len() int {
	n := 0
	for _, q := range s.shards {
		n += q.Len()
	}
	return n
}

func (s *shardedQueue) Flush(ctx context.Context) error {
	for _, q := range s.shards {
		if err := q.Flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (s *shardedQueue) Close() error {
	errs := make([]error, len(s.shards))
	done := make(chan struct{})
	for i, q := range s.shards { // in parallel: each may be cancelling a POST
		go func() { errs[i] = q.Close(); done <- struct{}{} }()
	}
	for range s.shards {
		<-done
	}
	return errors.Join(errs...)
}
