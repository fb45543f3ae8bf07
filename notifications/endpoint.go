package notifications

import (
	"context"
	"errors"
	"fmt"
	"github.com/hookbench/hookbench/internal/redact"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// endpoint is one webhook receiver's pipeline and counters:
// ignore filter -> queue -> retrying sink -> HTTP sink.
type endpoint struct {
	cfg      EndpointConfig // defaults applied
	metrics  *safeMetrics
	queue    queue
	head     Sink            // where the broadcaster writes
	givesUp  bool            // dead-lettering is on
	extended bool            // any Delivery setting: show our counters too
	db       *bolt.DB        // disk queue file, nil for memory
	commit   *groupCommitter // the disk queue's commits (nil for memory): waited for before db closes
	shared   bool            // a NATS queue: stored in the stream, shared by every replica

	deadLetters *deadLetterLog // deadletter.path, nil without one
	logger      *slog.Logger   // with the endpoint's name
	safeURL     string         // cfg.URL redacted, for logs and records
}

type endpointDeps struct {
	client      *http.Client
	logger      *slog.Logger
	faults      Faults
	logInterval time.Duration

	// Injected write failures (tests): the disk queue's commits and the
	// dead-letter log's appends fail with the returned error when non-nil.
	queueFault, deadLetterFault func() error
}

// newEndpoint builds and starts the endpoint's pipeline (cfg has its
// defaults applied); it fails, with an *EndpointError, only on what it
// cannot build: an unknown queue kind, a disk queue that cannot be
// opened, a secret that cannot be decoded.
func newEndpoint(cfg EndpointConfig, d endpointDeps) (*endpoint, error) {
	fail := func(setting string, err error) error {
		return &EndpointError{Endpoint: cfg.Name, Setting: setting, Err: err}
	}
	delivery := cfg.Delivery
	ep := &endpoint{cfg: cfg, metrics: newSafeMetrics(d.faults), extended: !delivery.isDistributions()}
	signer, serr := newSigner(delivery.Signing.Secrets)
	if serr != nil {
		return nil, fail(serr.setting, serr.err)
	}

	client := *d.client // per endpoint: its own timeout
	client.Timeout = cfg.Timeout
	// Never follow redirects automatically: that would count a 3xx as a
	// delivery and send the events, headers and signature wherever the
	// receiver points. httpSink follows a same-origin 307/308 itself.
	client.CheckRedirect = noRedirects
	target, err := url.Parse(cfg.URL)
	if err != nil { // validated by settle; kept for callers that skip it
		return nil, fmt.Errorf("notifications.endpoints: url: %w", redactErr(err))
	}
	hs := &httpSink{url: cfg.URL, target: target, headers: cfg.Headers, client: &client, listener: ep.metrics,
		signer: signer, now: time.Now}
	safeURL := redact.URL(cfg.URL)

	throttle := &logThrottle{interval: d.logInterval, now: time.Now}
	logger := d.logger.With("endpoint", cfg.Name)
	onFailure := func(err error) {
		ok, suppressed := throttle.allow()
		if !ok {
			return
		}
		attrs := []any{"sink", hs.String(), "url", safeURL, "error", err,
			"threshold", cfg.Threshold, "backoff", cfg.Backoff, "suppressed", suppressed}
		var es errStatus
		if errors.As(err, &es) && es.location != "" {
			attrs = append(attrs, "location", es.location) // a redirect not followed
		}
		logger.Error("retryingsink: error writing events, retrying", attrs...)
	}
	ep.logger, ep.safeURL = logger, safeURL
	if p := delivery.DeadLetter.Path; p != "" {
		ep.deadLetters = &deadLetterLog{path: p, fail: d.deadLetterFault}
	}
	var deadLetter func([]Event, int, error) error
	if ep.givesUp = delivery.givesUp(); ep.givesUp {
		deadLetter = ep.deadLetterer(d.logInterval)
	}
	shards := max(delivery.Concurrency, 1)
	var commit *groupCommitter
	// A shard is a queue with its own retrying stage (its own count of
	// consecutive failures); the HTTP stage is safe to share.
	newRetry := func() Sink {
		return &retryingSink{next: hs, threshold: cfg.Threshold, backoff: cfg.Backoff, onFailure: onFailure,
			policy: delivery.Retry, on4xx: delivery.DeadLetter.On4xx, deadLetter: deadLetter, now: time.Now,
			listener: ep.metrics}
	}
	newShard := func(i int) (queue, error) {
		retry := newRetry()
		if ep.db == nil {
			return newMemoryQueue(retry, ep.metrics, delivery.Batch), nil
		}
		dq, err := openDiskQueue(ep.db, commit, shardBucket(i, shards), retry, ep.metrics, delivery.Batch, logger)
		if err != nil {
			return nil, err
		}
		dq.writeFault = d.queueFault
		return dq, nil
	}
	switch delivery.Queue.Kind {
	case "", "memory", "nats":
	case "disk":
		db, err := openQueueDB(delivery.Queue.Path)
		if err == nil {
			err = checkShardBuckets(db, shards)
			if err != nil {
				db.Close()
			}
		}
		if err != nil {
			return nil, fail("Queue.Path", err)
		}
		ep.db = db
		commit = &groupCommitter{db: db}
		ep.commit = commit
	default:
		return nil, fail("Queue.Kind", fmt.Errorf("unknown queue %q (want memory, disk or nats)", delivery.Queue.Kind))
	}
	switch {
	case delivery.Queue.Kind == "nats": // its partitions are its shards
		nq, err := openNATSQueue(cfg.Name, delivery.Queue.NATS, shards, delivery.Batch, newRetry, ep.metrics, logger)
		if err != nil {
			var ke keyedError
			if errors.As(err, &ke) {
				return nil, fail(ke.key, ke.err)
			}
			return nil, fail("Queue.NATS", err)
		}
		ep.queue, ep.metrics.pendingFrom, ep.shared = nq, nq.Len, true // Pending is the cluster's
	case shards > 1:
		ep.queue, err = newShardedQueue(shards, newShard)
	default:
		ep.queue, err = newShard(0)
	}
	if err != nil {
		if ep.db != nil {
			ep.db.Close()
		}
		return nil, fail("Queue.Path", err)
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
// up on: append them to the dead-letter log if any, count them and log
// them. When the log cannot be written it returns the error and the
// events stay queued, to be retried and given up on again.
func (ep *endpoint) deadLetterer(logInterval time.Duration) func([]Event, int, error) error {
	failed := &logThrottle{interval: logInterval, now: time.Now}
	return func(events []Event, attempts int, err error) error {
		ids := eventIDs(events)
		if ep.deadLetters != nil {
			rec := DeadLetterRecord{Time: time.Now().UTC(), Endpoint: ep.cfg.Name, URL: ep.safeURL, Attempts: attempts, Error: err.Error(), Events: events}
			if werr := ep.deadLetters.append(rec); werr != nil {
				if ok, suppressed := failed.allow(); ok {
					ep.logger.Error("notifications: writing dead-letter log failed; events stay queued and are retried",
						"file", ep.deadLetters.path, "error", werr, "ids", ids, "suppressed", suppressed)
				}
				return werr
			}
		}
		ep.metrics.deadLettered(events...)
		file := ""
		if ep.deadLetters != nil {
			file = ep.deadLetters.path
		}
		ep.logger.Warn("notifications: gave up on events, dead-lettered", "url", ep.safeURL,
			"attempts", attempts, "error", err, "ids", ids, "file", file)
		return nil
	}
}

func eventIDs(events []Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
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
		ep.commit.wait()
		_ = ep.db.Close()
	}
	if left > 0 && !kept {
		ep.recordUndelivered()
	}
	return left, kept
}

// durable reports whether accepted events are stored (on disk, or in the
// NATS stream) before Notify returns, so that failing to store one must
// fail the request.
func (ep *endpoint) durable() bool { return ep.db != nil || ep.shared }

// undeliveredIDsPerLine bounds a shutdown log line listing dropped ids.
const undeliveredIDsPerLine = 1000

// recordUndelivered keeps what a memory queue still holds at shutdown
// replayable: the events go to the dead-letter log when there is one
// (`registry notifications replay` sends them again, same ids), otherwise
// their ids are logged.
func (ep *endpoint) recordUndelivered() {
	u, ok := ep.queue.(interface{ undelivered() []Event })
	if !ok {
		return
	}
	events := u.undelivered()
	if len(events) == 0 {
		return
	}
	if ep.deadLetters != nil {
		rec := DeadLetterRecord{Time: time.Now().UTC(), Endpoint: ep.cfg.Name, URL: ep.safeURL,
			Error: "undelivered at shutdown", Events: events}
		err := ep.deadLetters.append(rec)
		if err == nil {
			ep.logger.Warn("notifications: undelivered events written to the dead-letter log at shutdown",
				"file", ep.deadLetters.path, "events", len(events))
			return
		}
		ep.logger.Error("notifications: writing undelivered events to the dead-letter log failed; ids follow",
			"file", ep.deadLetters.path, "error", err)
	}
	ids := eventIDs(events)
	for i := 0; i < len(ids); i += undeliveredIDsPerLine {
		part := ids[i:min(i+undeliveredIDsPerLine, len(ids))]
		ep.logger.Warn("notifications: ids of undelivered events dropped at shutdown", "url", ep.safeURL,
			"ids", part, "from", i, "of", len(ids))
	}
}
