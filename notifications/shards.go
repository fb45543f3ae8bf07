package notifications

import (
	"context"
	"errors"
	"hash/maphash"
)

// queue is the stage that holds accepted events until delivered: what
// Shutdown drains and counts. A durable queue would implement it too.
type queue interface {
	Sink
	Len() int                        // accepted and not yet delivered, in flight included
	Flush(ctx context.Context) error // wait until empty or ctx done
}

// shardedQueue delivers up to len(shards) POSTs at once: each repository
// always maps to the same shard, a FIFO with its own retrying stage, so
// one repository's events stay in order while others go in parallel.
type shardedQueue struct {
	shards []*memoryQueue
	seed   maphash.Seed
}

func newShardedQueue(n int, newShard func() *memoryQueue) *shardedQueue {
	s := &shardedQueue{shards: make([]*memoryQueue, n), seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i] = newShard()
	}
	return s
}

func (s *shardedQueue) shard(repo string) *memoryQueue {
	return s.shards[maphash.String(s.seed, repo)%uint64(len(s.shards))]
}

func (s *shardedQueue) Write(ctx context.Context, events ...Event) error {
	var errs []error
	for _, e := range events {
		errs = append(errs, s.shard(e.Target.Repository).Write(ctx, e))
	}
	return errors.Join(errs...)
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
