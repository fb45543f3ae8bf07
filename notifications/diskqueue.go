package notifications

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
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
//
// Delivered events are removed by a second goroutine, in groups, while the
// next ones are being delivered: one fsync per delivered event would cap
// an endpoint at the disk's fsync rate. The price is at-least-once after a
// crash: besides the attempt in flight, up to maxUnremoved delivered
// events whose removal was not yet on disk are sent again (same ids).
type diskQueue struct {
	db       *bolt.DB
	commit   *groupCommitter // shared by the shards of one file
	bucket   []byte
	next     Sink
	listener metricsListener
	batch    Batch
	logger   *slog.Logger
	// writeFault, when set (tests), fails Write as a full disk would.
	writeFault func() error

	queueLife
	n    int    // events on disk not yet delivered; guarded by mu
	seq  uint64 // last key used; guarded by mu
	from uint64 // key of the first event not yet delivered (0: the first on disk); guarded by mu
	wake chan struct{}

	unremoved   [][]byte      // delivered, their removal not yet begun; guarded by mu
	outstanding int           // delivered and not yet removed on disk; guarded by mu
	removeWake  chan struct{} // capacity 1: "there are keys to remove"
	removed     chan struct{} // capacity 1: "a removal commit finished"
}

// maxUnremoved bounds the delivered events not yet removed from the file
// (what a crash may deliver twice); delivery waits when it is reached.
const maxUnremoved = 256

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
		wake: make(chan struct{}, 1), removeWake: make(chan struct{}, 1), removed: make(chan struct{}, 1)}
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
		// Only the count matters to the listener: a bounded slice, reused,
		// however many events were left on disk.
		restored := make([]Event, min(q.n, 1024))
		for left := q.n; left > 0; left -= len(restored) {
			l.ingress(restored[:min(left, len(restored))]...)
		}
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

	if q.writeFault != nil {
		if err := q.writeFault(); err != nil {
			return fmt.Errorf("disk queue: %w", err)
		}
	}
	err := q.commit.do(func(tx *bolt.Tx) error {
		b := tx.Bucket(q.bucket)
		b.FillPercent = appendFill
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
	poke(q.wake)
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
	q.mu.Lock()
	from := q.from
	q.mu.Unlock()
	_ = q.db.View(func(tx *bolt.Tx) error { // an error (closed file) reads as empty
		if _, v := tx.Bucket(q.bucket).Cursor().Seek(seqKey(from)); v != nil {
			found = json.Unmarshal(v, &e) == nil
		}
		return nil
	})
	return e.Timestamp, found
}

// head reads up to max undelivered events from the front of the queue
// (delivered ones whose removal is still pending are skipped).
func (q *diskQueue) head(max int) (keys [][]byte, events []Event, err error) {
	q.mu.Lock()
	from := q.from
	q.mu.Unlock()
	err = q.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(q.bucket).Cursor()
		for k, v := c.Seek(seqKey(from)); k != nil && len(events) < max; k, v = c.Next() {
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
	stop, removerDone := make(chan struct{}), make(chan struct{})
	go q.removeDelivered(stop, removerDone)
	defer func() { close(stop); <-removerDone }() // removals finish before Close returns
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
		q.mu.Lock()
		q.from = binary.BigEndian.Uint64(keys[len(keys)-1]) + 1
		q.n -= len(events)
		q.listener.egress(events...)
		if q.n == 0 {
			q.emptied()
		}
		q.unremoved = append(q.unremoved, keys...)
		q.outstanding += len(keys)
		q.mu.Unlock()
		poke(q.removeWake)
		if !q.awaitRemovals(ctx) {
			return
		}
	}
}

// awaitRemovals waits while maxUnremoved delivered events are not yet
// removed on disk; false when ctx is done.
func (q *diskQueue) awaitRemovals(ctx context.Context) bool {
	for {
		q.mu.Lock()
		ok := q.outstanding < maxUnremoved
		q.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-q.removed:
		case <-ctx.Done():
			return false
		}
	}
}

// removeDelivered deletes delivered events from the file, as many as have
// gathered per commit, until stop is closed; then it removes what is left
// and closes done. A crash before a removal commit re-sends those events
// on restart, with their ids.
func (q *diskQueue) removeDelivered(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		stopping := false
		select {
		case <-q.removeWake:
		case <-stop:
			stopping = true
		}
		q.mu.Lock()
		keys := q.unremoved
		q.unremoved = nil
		q.mu.Unlock()
		if len(keys) > 0 {
			for err := q.remove(keys); err != nil; err = q.remove(keys) {
				q.logger.Error("notifications: removing delivered events from disk queue", "error", err, "events", len(keys))
				if stopping {
					q.logger.Error("notifications: delivered events stay in the disk queue and will be sent again after a restart",
						"bucket", string(q.bucket), "events", len(keys))
					break
				}
				select {
				case <-time.After(time.Second):
				case <-stop:
					stopping = true
				}
			}
			q.mu.Lock()
			q.outstanding -= len(keys)
			q.mu.Unlock()
			poke(q.removed)
		}
		if stopping {
			return
		}
	}
}

// poke signals a capacity-1 channel without blocking.
func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// appendFill: keys only ever grow, so bbolt's leaves can be packed full
// (its 50% default leaves room for inserts in the middle, which never come).
const appendFill = 1.0

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
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the folder of %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("%s is in use by another process", path)
		}
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}
