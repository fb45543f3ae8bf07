package notifications

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"reflect"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hookbench/hookbench/config"
)

// endpoint is one webhook receiver's pipeline and counters:
// ignore filter -> queue -> retrying sink -> HTTP sink.
type endpoint struct {
	cfg      config.Endpoint // defaults applied
	metrics  *safeMetrics
	queue    queue
	head     Sink     // where the broadcaster writes
	givesUp  bool     // dead-lettering is on
	extended bool     // any WithDelivery setting: show our counters too
	db       *bolt.DB // disk queue file, nil for memory
}

type endpointDeps struct {
	client      *http.Client
	logger      *slog.Logger
	faults      Faults
	logInterval time.Duration
	delivery    Delivery
}

// newEndpoint builds and starts the endpoint's pipeline; it fails only
// when a disk queue cannot be opened.
func newEndpoint(cfg config.Endpoint, d endpointDeps) (*endpoint, error) {
	ep := &endpoint{cfg: cfg, metrics: newSafeMetrics(d.faults), extended: !reflect.ValueOf(d.delivery).IsZero()}

	client := *d.client // per endpoint: its own timeout
	client.Timeout = cfg.Timeout
	if client.CheckRedirect == nil {
		// A 3xx is a success as it stands: following it would re-POST the
		// events, with their headers, to wherever the receiver points.
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	hs := &httpSink{url: cfg.URL, headers: cfg.Headers, client: &client, listener: ep.metrics, signer: newSigner(d.delivery.Signing.Secrets)}

	throttle := &logThrottle{interval: d.logInterval, now: time.Now}
	logger := d.logger.With("endpoint", cfg.Name)
	onFailure := func(err error) {
		ok, suppressed := throttle.allow()
		if !ok {
			return
		}
		logger.Error("retryingsink: error writing events, retrying",
			"sink", hs.String(), "url", cfg.URL, "error", err,
			"threshold", cfg.Threshold, "backoff", cfg.Backoff,
			"suppressed", suppressed)
	}
	var deadLetter func([]Event, int, error)
	if ep.givesUp = d.delivery.givesUp(); ep.givesUp {
		deadLetter = ep.deadLetterer(d.delivery.DeadLetter.Path, logger)
	}
	shards := max(d.delivery.Concurrency, 1)
	var commit *groupCommitter
	// A shard is a queue with its own retrying stage (its own count of
	// consecutive failures); the HTTP stage is safe to share.
	newRetry := func() Sink {
		return &retryingSink{next: hs, threshold: cfg.Threshold, backoff: cfg.Backoff, onFailure: onFailure,
			policy: d.delivery.Retry, on4xx: d.delivery.DeadLetter.On4xx, deadLetter: deadLetter, now: time.Now,
			listener: ep.metrics}
	}
	newShard := func(i int) (queue, error) {
		retry := newRetry()
		if ep.db == nil {
			return newMemoryQueue(retry, ep.metrics, d.delivery.Batch), nil
		}
		return openDiskQueue(ep.db, commit, shardBucket(i, shards), retry, ep.metrics, d.delivery.Batch, logger)
	}
	if d.delivery.Queue.Kind == "disk" {
		db, err := openQueueDB(d.delivery.Queue.Path)
		if err == nil {
			err = checkShardBuckets(db, shards)
			if err != nil {
				db.Close()
			}
		}
		if err != nil {
			return nil, err
		}
		ep.db = db
		commit = &groupCommitter{db: db}
	}
	var err error
	switch {
	case d.delivery.Queue.Kind == "nats": // its partitions are its shards
		var nq *natsQueue
		if nq, err = openNATSQueue(cfg.Name, d.delivery.Queue.NATS, shards, d.delivery.Batch, newRetry, ep.metrics, logger); err == nil {
			ep.queue, ep.metrics.pendingFrom = nq, nq.Len // Pending is the cluster's
		}
	case shards > 1:
		ep.queue, err = newShardedQueue(shards, newShard)
	default:
		ep.queue, err = newShard(0)
	}
	if err != nil {
		if ep.db != nil {
			ep.db.Close()
		}
		return nil, err
	}

	var entry Sink = ep.queue
	if d.faults.DropOneIn > 0 {
		entry = &dropper{every: d.faults.DropOneIn, next: entry}
	}
	ep.head = newIgnoreFilter([][]string{cfg.IgnoredMediaTypes, cfg.Ignore.MediaTypes}, cfg.Ignore.Actions, entry)
	return ep, nil
}

// shardBucket names a disk queue shard's bucket.
func shardBucket(i, shards int) string {
	if shards == 1 {
		return "events"
	}
	return fmt.Sprintf("events-%d-of-%d", i, shards)
}

// checkShardBuckets refuses a queue file written with another concurrency
// while it still holds events: they would never be delivered.
func checkShardBuckets(db *bolt.DB, shards int) error {
	mine := map[string]bool{}
	for i := range shards {
		mine[shardBucket(i, shards)] = true
	}
	return db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if n := string(name); n != damagedBucket && !mine[n] && b.Stats().KeyN > 0 {
				return fmt.Errorf("%s holds %d events in %q, written with another concurrency: set it back until they are delivered",
					db.Path(), b.Stats().KeyN, n)
			}
			return nil
		})
	})
}

// deadLetterer returns what the retrying stage calls with events it gives
// up on: count them, log them, and append them to the log file if any.
func (ep *endpoint) deadLetterer(path string, logger *slog.Logger) func([]Event, int, error) {
	var file *deadLetterLog
	if path != "" {
		file = &deadLetterLog{path: path}
	}
	return func(events []Event, attempts int, err error) {
		ep.metrics.deadLettered(events...)
		ids := make([]string, len(events))
		for i, e := range events {
			ids[i] = e.ID
		}
		logger.Warn("notifications: gave up on events, dead-lettered", "url", ep.cfg.URL,
			"attempts", attempts, "error", err, "ids", ids, "file", path)
		if file == nil {
			return
		}
		rec := DeadLetterRecord{Time: time.Now().UTC(), Endpoint: ep.cfg.Name, URL: ep.cfg.URL, Attempts: attempts, Error: err.Error(), Events: events}
		if werr := file.append(rec); werr != nil {
			// Still logged above with every id: not lost silently.
			logger.Error("notifications: writing dead-letter log failed", "file", path, "error", werr, "ids", ids)
		}
	}
}

// oldestPendingAge is how long the oldest undelivered event has waited.
func (ep *endpoint) oldestPendingAge() time.Duration {
	if t, ok := ep.queue.oldest(); ok && !t.IsZero() {
		return max(time.Since(t), 0)
	}
	return 0
}

// queueBytes is the disk queue file's size (0 for a memory queue).
func (ep *endpoint) queueBytes() int64 {
	if ep.db == nil {
		return 0
	}
	fi, err := os.Stat(ep.db.Path())
	if err != nil {
		return 0
	}
	return fi.Size()
}

// drain delivers what is pending until ctx is done, then stops the
// pipeline. It returns how many events were left undelivered and whether
// they are kept (a disk queue) rather than dropped.
func (ep *endpoint) drain(ctx context.Context) (left int, kept bool) {
	_ = ep.queue.Flush(ctx)
	_ = ep.head.Close() // the stages' Close only stops goroutines and releases connections
	left, kept = ep.queue.Len(), isDurable(ep.queue)
	if ep.db != nil {
		_ = ep.db.Close()
	}
	return left, kept
}
