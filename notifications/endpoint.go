package notifications

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookbench/hookbench/registry/config"
)

// endpoint is one webhook receiver's pipeline and counters:
// ignore filter -> queue -> retrying sink -> HTTP sink.
type endpoint struct {
	cfg     config.Endpoint // defaults applied
	metrics *safeMetrics
	queue   queue
	head    Sink // where the broadcaster writes
	givesUp bool // dead-lettering is on
}

type endpointDeps struct {
	client      *http.Client
	logger      *slog.Logger
	faults      Faults
	logInterval time.Duration
	delivery    Delivery
}

func newEndpoint(cfg config.Endpoint, d endpointDeps) *endpoint {
	ep := &endpoint{cfg: cfg, metrics: newSafeMetrics(d.faults)}

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
	// A shard is a FIFO with its own retrying stage (its own count of
	// consecutive failures); the HTTP stage is safe to share.
	var deadLetter func([]Event, int, error)
	if ep.givesUp = d.delivery.givesUp(); ep.givesUp {
		deadLetter = ep.deadLetterer(d.delivery.DeadLetter.Path, logger)
	}
	newShard := func() *memoryQueue {
		retry := &retryingSink{next: hs, threshold: cfg.Threshold, backoff: cfg.Backoff, onFailure: onFailure,
			policy: d.delivery.Retry, on4xx: d.delivery.DeadLetter.On4xx, deadLetter: deadLetter, now: time.Now}
		return newMemoryQueue(retry, ep.metrics, d.delivery.Batch)
	}
	if d.delivery.Concurrency > 1 {
		ep.queue = newShardedQueue(d.delivery.Concurrency, newShard)
	} else {
		ep.queue = newShard()
	}

	var entry Sink = ep.queue
	if d.faults.DropOneIn > 0 {
		entry = &dropper{every: d.faults.DropOneIn, next: entry}
	}
	ep.head = newIgnoreFilter([][]string{cfg.IgnoredMediaTypes, cfg.Ignore.MediaTypes}, cfg.Ignore.Actions, entry)
	return ep
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

// drain delivers what is pending until ctx is done, then stops the
// pipeline and returns how many events were left undelivered.
func (ep *endpoint) drain(ctx context.Context) int {
	_ = ep.queue.Flush(ctx)
	if err := ep.head.Close(); err != nil && !errors.Is(err, errClosed) {
		_ = err // the stages' Close only releases connections
	}
	return ep.queue.Len()
}
