package notifications

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"
)

// diskQueue is a durable FIFO in a bbolt bucket: an event is on disk
// before Write returns (concurrent writers share one commit, the
// groupCommitter, so durability costs about one fsync per group, not per
// event), delivered events are deleted (bbolt reuses their pages, so the
// file does not grow without bound), and nothing but counters is held in
// memory, however long the outage. Keys are big-endian sequence numbers:
// the cursor's order is the FIFO order. It is the memoryQueue's twin and
// has the same contract (queue).
type diskQueue struct {
	db       *bolt.DB
	commit   *groupCommitter // shared by the shards of one file
	bucket   []byte
	next     Sink
	listener metricsListener
	batch    Batch
	logger   *slog.Logger

	queueLife
	n    int    // events on disk not yet delivered; guarded by mu
	seq  uint64 // last key used
	wake chan struct{}
}

const damagedBucket = "damaged"

// openDiskQueue opens (or creates) the bucket and counts what a previous
// run left in it; those events count as accepted again (Events, Pending),
// since this process's counters start at zero. Entries that cannot be
// decoded are moved to the "damaged" bucket and reported, not delivered,
// and the intact ones are kept.
func openDiskQueue(db *bolt.DB, commit *groupCommitter, bucket string, next Sink, l metricsListener, batch Batch, logger *slog.Logger) (*diskQueue, error) {
	if batch.MaxEvents < 1 {
		batch.MaxEvents = 1
	}
	q := &diskQueue{db: db, commit: commit, bucket: []byte(bucket), next: next, listener: l, batch: batch, logger: logger,
		wake: make(chan struct{}, 1)}
	var damaged []string
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(q.bucket)
		if err != nil {
			return err
		}
		var bad [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var e Event
			if len(k) != 8 || json.Unmarshal(v, &e) != nil {
				bad = append(bad, k)
				continue
			}
			q.n++
			q.seq = binary.BigEndian.Uint64(k)
		}
		if len(bad) == 0 {
			return nil
		}
		d, err := tx.CreateBucketIfNotExists([]byte(damagedBucket))
		if err != nil {
			return err
		}
		for _, k := range bad {
			if err := d.Put(append([]byte(bucket+"/"), k...), b.Get(k)); err != nil {
				return err
			}
			if err := b.Delete(k); err != nil {
				return err
			}
			damaged = append(damaged, fmt.Sprintf("%x", k))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(damaged) > 0 {
		logger.Error("notifications: disk queue entries could not be read; moved aside, not delivered",
			"bucket", bucket, "moved_to", damagedBucket, "keys", damaged)
	}
	if q.n > 0 {
		restored := make([]Event, q.n) // only the count matters to the listener
		l.ingress(restored...)
		logger.Info("notifications: disk queue restored pending events", "bucket", bucket, "pending", q.n)
	}
	go q.run(q.start())
	return q, nil
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// Write stores events and returns once they are on disk.
func (q *diskQueue) Write(_ context.Context, events ...Event) error {
	vals := make([][]byte, len(events))
	for i := range events {
		v, err := json.Marshal(&events[i])
		if err != nil {
			return fmt.Errorf("disk queue: encoding event %s: %w", events[i].ID, err)
		}
		vals[i] = v
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return errClosed
	}
	first := q.seq + 1
	q.seq += uint64(len(events))
	q.mu.Unlock()

	err := q.commit.do(func(tx *bolt.Tx) error {
		b := tx.Bucket(q.bucket)
		for i, v := range vals {
			if err := b.Put(seqKey(first+uint64(i)), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("disk queue: %w", err)
	}
	q.mu.Lock()
	q.n += len(events)
	q.listener.ingress(events...)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

func (q *diskQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// durable: what is left at shutdown is kept for the next start, not dropped.
func (q *diskQueue) durable() bool { return true }

func (q *diskQueue) Flush(ctx context.Context) error {
	return q.flush(ctx, func() int { return q.n })
}

// Close stops delivery (cancelling an attempt in flight); the bolt DB is
// closed by its owner.
func (q *diskQueue) Close() error { return q.stop(q.next) }

func (q *diskQueue) oldest() (time.Time, bool) {
	var e struct {
		Timestamp time.Time `json:"timestamp"`
	}
	found := false
	_ = q.db.View(func(tx *bolt.Tx) error { // an error (closed file) reads as empty
		if _, v := tx.Bucket(q.bucket).Cursor().First(); v != nil {
			found = json.Unmarshal(v, &e) == nil
		}
		return nil
	})
	return e.Timestamp, found
}

// head reads up to max events from the front of the queue.
func (q *diskQueue) head(max int) (keys [][]byte, events []Event, err error) {
	err = q.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(q.bucket).Cursor()
		for k, v := c.First(); k != nil && len(events) < max; k, v = c.Next() {
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("key %x: %w", k, err)
			}
			keys = append(keys, append([]byte(nil), k...))
			events = append(events, e)
		}
		return nil
	})
	return keys, events, err
}

func (q *diskQueue) run(ctx context.Context) {
	defer close(q.done)
	for {
		if !waitForBatch(ctx, q.batch, q.Len, q.wake) {
			return
		}
		keys, events, err := q.head(q.batch.MaxEvents)
		if err != nil || len(events) == 0 {
			// A disk that fails to read: report, and try again a little later.
			q.logger.Error("notifications: reading disk queue", "error", err, "pending", q.Len())
			select {
			case <-time.After(time.Second):
				continue
			case <-ctx.Done():
				return
			}
		}
		if err := q.next.Write(ctx, events...); err != nil {
			return // only when ctx is done
		}
		// A crash before this commit re-sends these events on restart
		// (same ids): duplicates only of what was in flight.
		for err := q.remove(keys); err != nil; err = q.remove(keys) {
			q.logger.Error("notifications: removing delivered events from disk queue", "error", err)
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return
			}
		}
		q.mu.Lock()
		q.n -= len(events)
		q.listener.egress(events...)
		if q.n == 0 {
			q.emptied()
		}
		q.mu.Unlock()
	}
}

func (q *diskQueue) remove(keys [][]byte) error {
	return q.commit.do(func(tx *bolt.Tx) error {
		b := tx.Bucket(q.bucket)
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// openQueueDB opens the endpoint's queue file, failing fast (not hanging)
// when another process holds it.
func openQueueDB(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("%s is in use by another process", path)
		}
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}
