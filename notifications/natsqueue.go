package notifications

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS is queue kind "nats": accepted events go to a JetStream stream
// that every replica of the registry shares, and every replica delivers
// from it. Zero values take the defaults below.
type NATS struct {
	URLs          []string      // the cluster's nodes; required
	Stream        string        // default HOOKBENCH_<endpoint name>
	SubjectPrefix string        // default hookbench.<endpoint name>
	Replicas      int           // copies of each event (default 3: R3)
	AckWait       time.Duration // how long an event held by a silent replica waits before another takes it (default 30s)

	Username, Password, Token string
	CredentialsFile           string
}

// Defaults of NATS, as config's.
const (
	defaultNATSReplicas = 3
	defaultNATSAckWait  = 30 * time.Second
)

const (
	// publishBudget: how long Write keeps trying to publish (the same
	// message id, so a retry of a publish that was stored is de-duplicated)
	// through a leader election before the push is refused.
	publishBudget  = 15 * time.Second
	publishAttempt = 2 * time.Second        // a request lost with a dying node is asked again, not waited out
	fetchWait      = 5 * time.Second        // one pull request's lifetime
	batchPoll      = 10 * time.Millisecond  // how often a filling batch looks for followers
	natsCallLimit  = 5 * time.Second        // acks, deletes, stream info
	natsRetryWait  = 250 * time.Millisecond // after an error talking to NATS
	natsDupWindow  = 2 * time.Minute        // JetStream's default de-duplication window
)

// keyedError is a queue error that belongs to a setting (its Go field
// path in EndpointConfig, as EndpointError.Setting names it).
type keyedError struct {
	key string
	err error
}

func (e keyedError) Error() string { return e.err.Error() }
func (e keyedError) Unwrap() error { return e.err }

// natsQueue is the shared queue. Write publishes each event and returns
// once JetStream has stored it on a quorum of the stream's replicas (a
// publish with ack), with the event id as Nats-Msg-Id so a repeated
// publish is stored once.
//
// Order: a repository's events go to one of P partition subjects
// (<prefix>.<P>.<i>, i = fnv64a(repository) mod P, P = concurrency), each
// with one durable pull consumer shared by every replica, MaxAckPending 1:
// the partition's head, while unacknowledged, is the lock that keeps any
// other replica from taking the partition's next event. A batch is the
// head plus the events after it in the same partition, read from the
// stream directly; after delivery they are purged from the stream before
// the head is acknowledged, so nothing of the partition moves before the
// batch is done. (The consumer's leader may apply the purge a little
// later and hand a purged event out again; with batches on, a head the
// stream's leader no longer holds is acknowledged without a POST.)
//
// The stream is a work queue: an event leaves it when delivered or
// dead-lettered, so its message count is the cluster-wide Pending.
//
// At least once: a replica that dies holding a head gives it up after
// AckWait (with a clean Close at once, by a nak), and the next replica
// delivers it again with the same id; an acknowledgement lost to a NATS
// failure does the same.
type natsQueue struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	stream   jetstream.Stream
	name     string // stream
	subjects string // <prefix>.<P>
	parts    int
	batch    Batch
	ackWait  time.Duration
	next     []Sink // one retrying stage per partition
	listener metricsListener
	logger   *slog.Logger
	throttle *logThrottle

	queueLife
	last int // cluster-wide Pending when last read; guarded by mu
}

// natsToken makes a name usable in a stream name or a subject token; a
// name that had to change gets a hash of the original, so two endpoint
// names never map to one stream.
func natsToken(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.String() != s || s == "" {
		h := fnv.New32a()
		h.Write([]byte(s))
		fmt.Fprintf(&b, "_%08x", h.Sum32())
	}
	return b.String()
}

// partitionOf maps a repository to a partition with the same hash as the
// disk queue's shards, the same in every replica.
func partitionOf(repo string, parts int) int {
	h := fnv.New64a()
	h.Write([]byte(repo))
	return int(h.Sum64() % uint64(parts))
}

// openNATSQueue connects to NATS, makes (or checks) the endpoint's stream
// and its partitions' consumers, and starts this replica's delivery
// workers, one per partition, each with its own stage from newRetry.
func openNATSQueue(endpoint string, s *NATS, parts int, batch Batch, newRetry func() Sink, l metricsListener, logger *slog.Logger) (*natsQueue, error) {
	if s == nil || len(s.URLs) == 0 {
		return nil, keyedError{"Queue.NATS.URLs", errors.New("required for queue nats")}
	}
	cfg := *s
	if cfg.Stream == "" {
		cfg.Stream = "HOOKBENCH_" + natsToken(endpoint)
	}
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = "hookbench." + natsToken(endpoint)
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = defaultNATSReplicas
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = defaultNATSAckWait
	}
	if batch.MaxEvents < 1 {
		batch.MaxEvents = 1
	}
	parts = max(parts, 1)
	logger = logger.With("queue", "nats", "stream", cfg.Stream)

	opts := []nats.Option{
		nats.Name("hookbench notifications " + endpoint),
		nats.MaxReconnects(-1), // a NATS outage delays delivery; it never ends it
		nats.ReconnectWait(natsRetryWait),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				logger.Warn("notifications: disconnected from NATS", "error", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			logger.Info("notifications: reconnected to NATS", "server", c.ConnectedServerName())
		}),
	}
	switch {
	case cfg.Username != "":
		opts = append(opts, nats.UserInfo(cfg.Username, cfg.Password))
	case cfg.Token != "":
		opts = append(opts, nats.Token(cfg.Token))
	case cfg.CredentialsFile != "":
		if _, err := os.Stat(cfg.CredentialsFile); err != nil {
			return nil, keyedError{"Queue.NATS.CredentialsFile", err}
		}
		opts = append(opts, nats.UserCredentials(cfg.CredentialsFile))
	}
	nc, err := nats.Connect(strings.Join(cfg.URLs, ","), opts...)
	if err != nil {
		// The client's errors name no URL or credential.
		return nil, keyedError{"Queue.NATS.URLs", fmt.Errorf("connecting to NATS: %w", err)}
	}
	q := &natsQueue{nc: nc, name: cfg.Stream, subjects: fmt.Sprintf("%s.%d", cfg.SubjectPrefix, parts), parts: parts,
		batch: batch, ackWait: cfg.AckWait, listener: l, logger: logger, throttle: &logThrottle{interval: 10 * time.Second, now: time.Now}}
	consumers, err := q.setUp(cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	for range parts {
		q.next = append(q.next, newRetry())
	}
	ctx := q.start()
	var wg sync.WaitGroup
	for i, c := range consumers {
		wg.Add(1)
		go func() { defer wg.Done(); q.work(ctx, i, c) }()
	}
	go func() { wg.Wait(); close(q.done) }()
	return q, nil
}

// setUp makes the stream and the consumers, or finds them as another
// replica made them.
func (q *natsQueue) setUp(cfg NATS) ([]jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, err := jetstream.New(q.nc)
	if err != nil {
		return nil, keyedError{"Queue.NATS.URLs", err}
	}
	q.js = js
	err = retrySetUp(ctx, func(ctx context.Context) (err error) {
		q.stream, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:        cfg.Stream,
			Description: "hookbench webhook events, delivered by every registry replica",
			Subjects:    []string{cfg.SubjectPrefix + ".>"},
			Retention:   jetstream.WorkQueuePolicy, // delivered events leave the stream
			Storage:     jetstream.FileStorage,
			Replicas:    cfg.Replicas,
			Duplicates:  natsDupWindow,
			AllowDirect: true, // batches are read from any replica
		})
		return err
	})
	if err != nil {
		return nil, keyedError{"Queue.NATS.Stream", fmt.Errorf("creating stream %s (R%d): %w", cfg.Stream, cfg.Replicas, err)}
	}
	if err := q.checkPartitions(ctx); err != nil {
		return nil, keyedError{"Concurrency", err}
	}
	var consumers []jetstream.Consumer
	for i := range q.parts {
		var c jetstream.Consumer
		err := retrySetUp(ctx, func(ctx context.Context) (err error) {
			c, err = q.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
				Durable:       fmt.Sprintf("deliver-%d-of-%d", i, q.parts),
				Description:   "one partition of the endpoint's events, shared by every replica",
				FilterSubject: q.subject(i),
				AckPolicy:     jetstream.AckExplicitPolicy,
				AckWait:       cfg.AckWait,
				MaxAckPending: 1,  // the head holds the partition: per-repository order across replicas
				MaxDeliver:    -1, // giving up is the retrying stage's business (dead letters)
			})
			return err
		})
		if err != nil {
			return nil, keyedError{"Queue.NATS.Stream", fmt.Errorf("creating consumer of %s: %w", q.subject(i), err)}
		}
		consumers = append(consumers, c)
	}
	return consumers, nil
}

// retrySetUp is retryTransient for making the stream and its consumers,
// where any error is tried again until ctx is done: replicas starting
// together create the same stream and consumers at once, and a clustered
// JetStream can answer such parallel creates with errors that pass (a
// timeout, "stream not found" for a consumer of a stream just made,
// "already in use" while the twin create is in flight). A create that
// keeps failing is the error returned.
func retrySetUp(ctx context.Context, fn func(context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, natsCallLimit)
		err := fn(actx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if !sleepCtx(ctx, natsRetryWait+rand.N(natsRetryWait)) { // jitter: the twins do not retry in step
			return err
		}
	}
}

// errCodeNoSuitablePeers is JetStream's "no suitable peers for placement"
// (the client library has no name for it).
const errCodeNoSuitablePeers jetstream.ErrorCode = 10005

// retryTransient calls fn, each try with its own deadline, again while
// it fails the way a cluster that is electing a leader (or has just
// started: its peers not yet all known, "no suitable peers") does, until
// ctx is done.
func retryTransient(ctx context.Context, fn func(context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, natsCallLimit)
		err := fn(actx)
		cancel()
		var api *jetstream.APIError
		transient := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
			errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
			(errors.As(err, &api) && (api.Code == 503 || api.ErrorCode == errCodeNoSuitablePeers))
		if err == nil || !transient || ctx.Err() != nil {
			return err
		}
		if !sleepCtx(ctx, natsRetryWait) {
			return err
		}
	}
}

func (q *natsQueue) subject(part int) string { return fmt.Sprintf("%s.%d", q.subjects, part) }

// checkPartitions refuses a stream holding events under another partition
// count (another concurrency): no consumer of this one would deliver them.
func (q *natsQueue) checkPartitions(ctx context.Context) error {
	prefix := strings.TrimSuffix(q.subjects, fmt.Sprintf(".%d", q.parts))
	var info *jetstream.StreamInfo
	err := retryTransient(ctx, func(ctx context.Context) (err error) {
		info, err = q.stream.Info(ctx, jetstream.WithSubjectFilter(prefix+".>"))
		return err
	})
	if err != nil {
		return fmt.Errorf("reading stream %s: %w", q.name, err)
	}
	for subj, n := range info.State.Subjects {
		if n > 0 && !strings.HasPrefix(subj, q.subjects+".") {
			return fmt.Errorf("stream %s holds %d events in %s, written with another concurrency: set it back until they are delivered",
				q.name, n, subj)
		}
	}
	return nil
}

// Write publishes events in order and returns once each is stored; an
// error means the push must not be acknowledged (the events from the
// first failed one on are not queued).
func (q *natsQueue) Write(ctx context.Context, events ...Event) error {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return errClosed
	}
	ctx, cancel := context.WithTimeout(ctx, publishBudget)
	defer cancel()
	for i := range events {
		fresh, err := q.publish(ctx, &events[i])
		if err != nil {
			return fmt.Errorf("nats queue: %w", err)
		}
		if fresh {
			q.listener.ingress(events[i])
		}
	}
	return nil
}

// publish stores one event, trying again (same message id) while NATS
// has no leader for the stream or does not answer, until ctx is done. It
// reports false when the stream already held the id (a replayed event
// inside the de-duplication window).
func (q *natsQueue) publish(ctx context.Context, e *Event) (bool, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return false, fmt.Errorf("encoding event %s: %w", e.ID, err)
	}
	subj := q.subject(partitionOf(e.Target.Repository, q.parts))
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, publishAttempt)
		ack, err := q.js.Publish(actx, subj, data, jetstream.WithMsgID(e.ID), jetstream.WithExpectStream(q.name))
		cancel()
		if err == nil {
			if ack.Duplicate && attempt == 0 {
				q.logger.Warn("notifications: event id already in the stream (de-duplicated), not queued again",
					"id", e.ID, "window", natsDupWindow)
			}
			return !ack.Duplicate || attempt > 0, nil
		}
		if errors.Is(err, nats.ErrConnectionClosed) {
			return false, fmt.Errorf("publishing event %s: %w", e.ID, err)
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("publishing event %s to %s: %w", e.ID, subj, err)
		case <-time.After(natsRetryWait):
		}
	}
}

// work is one partition's delivery loop on this replica.
func (q *natsQueue) work(ctx context.Context, part int, c jetstream.Consumer) {
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(ctx, fetchWait)
		msg, err := c.Next(jetstream.FetchContext(fctx))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, jetstream.ErrNoMessages) {
				q.logThrottled("notifications: fetching from NATS", "subject", q.subject(part), "error", err)
				sleepCtx(ctx, natsRetryWait)
			}
			continue
		}
		q.deliver(ctx, part, msg)
	}
}

// deliver hands the head (and the batch after it) to the partition's
// retrying stage, then removes them from the stream.
func (q *natsQueue) deliver(ctx context.Context, part int, head jetstream.Msg) {
	meta, err := head.Metadata()
	var e Event
	if err == nil {
		err = json.Unmarshal(head.Data(), &e)
	}
	if err != nil {
		// Never deliverable: reported with its place in the stream, then
		// terminated (the work queue drops it) so it blocks nothing.
		var seq uint64
		if meta != nil {
			seq = meta.Sequence.Stream
		}
		q.logger.Error("notifications: NATS message is not an event; removed, not delivered",
			"subject", head.Subject(), "seq", seq, "error", err, "bytes", len(head.Data()))
		_ = head.Term()
		return
	}
	if q.batch.MaxEvents > 1 && q.deliveredInBatch(ctx, meta.Sequence.Stream) {
		_ = head.Ack()
		return
	}
	stop := q.keepHeld(head) // from now on: filling a batch may outlast AckWait too
	events, seqs := []Event{e}, []uint64(nil)
	if q.batch.MaxEvents > 1 {
		more, s := q.followers(ctx, q.subject(part), meta.Sequence.Stream, meta.Timestamp)
		events, seqs = append(events, more...), s
	}
	err = q.next[part].Write(ctx, events...)
	if err != nil { // only when this replica is closing: another one takes the partition at once
		stop()
		_ = head.Nak()
		return
	}
	q.remove(ctx, part, head, meta.Sequence.Stream, seqs)
	stop()
	q.listener.egress(events...)
}

// remove takes a delivered head (and its batch) out of the stream,
// trying again through a NATS failure (a leader election: up to
// publishBudget, or AckWait if longer) while the head is still held:
// giving up at the first error would let the partition move on and send
// the batch again. After that (or when closing) the head comes back to
// some replica: at least once.
func (q *natsQueue) remove(ctx context.Context, part int, head jetstream.Msg, seq uint64, followers []uint64) {
	give := time.Now().Add(max(q.ackWait, publishBudget))
	for {
		err := q.tryRemove(part, head, followers)
		if err == nil {
			return
		}
		if time.Now().After(give) || !sleepCtx(ctx, natsRetryWait) {
			q.logger.Warn("notifications: delivered events not removed from NATS; they will be delivered again",
				"first", seq, "events", 1+len(followers), "error", err)
			return
		}
		q.logThrottled("notifications: removing delivered events from NATS, trying again", "first", seq, "error", err)
	}
}

func (q *natsQueue) tryRemove(part int, head jetstream.Msg, followers []uint64) error {
	ctx, cancel := context.WithTimeout(context.Background(), publishAttempt) // a request lost with a dying leader is asked again
	defer cancel()
	if len(followers) == 0 {
		return head.DoubleAck(ctx)
	}
	// One purge of the partition's subject up to the last follower (the
	// head and its followers are all the partition holds in that range)
	// instead of one delete per event, before the head's ack releases the
	// partition. If that ack is lost, the purged head comes back after
	// AckWait and is acknowledged without a POST.
	last := followers[len(followers)-1]
	if err := q.stream.Purge(ctx, jetstream.WithPurgeSubject(q.subject(part)), jetstream.WithPurgeSequence(last+1)); err != nil {
		return err
	}
	_ = head.Ack()
	return nil
}

// deliveredInBatch reports whether the stream's leader no longer holds
// seq: it went out in an earlier batch and was deleted, but the consumer's
// leader (on another node, applying the delete a little later) handed it
// out again. Any other error counts as still held: at least once.
func (q *natsQueue) deliveredInBatch(ctx context.Context, seq uint64) bool {
	ctx, cancel := context.WithTimeout(ctx, natsCallLimit)
	defer cancel()
	// Not a direct get, which a lagging replica may answer: the leader's.
	req, err := json.Marshal(struct {
		Seq uint64 `json:"seq"`
	}{seq})
	if err != nil {
		return false
	}
	m, err := q.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+q.name, req)
	if err != nil {
		return false
	}
	var resp struct {
		Error *jetstream.APIError `json:"error"`
	}
	return json.Unmarshal(m.Data, &resp) == nil && resp.Error != nil && resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound
}

// followers reads up to MaxEvents-1 events after seq in subject, waiting
// until the head has waited MaxWait for the batch to fill.
func (q *natsQueue) followers(ctx context.Context, subject string, seq uint64, stored time.Time) ([]Event, []uint64) {
	deadline := time.Now().Add(q.batch.MaxWait)
	if byStore := stored.Add(q.batch.MaxWait); byStore.Before(deadline) {
		deadline = byStore
	}
	var events []Event
	var seqs []uint64
	for next := seq + 1; len(events) < q.batch.MaxEvents-1; {
		msgs, err := q.readAfter(ctx, subject, next, q.batch.MaxEvents-1-len(events))
		for _, m := range msgs {
			var e Event
			if json.Unmarshal(m.data, &e) != nil {
				return events, seqs // left for the consumer, which reports it
			}
			events, seqs, next = append(events, e), append(seqs, m.seq), m.seq+1
		}
		wait := time.Until(deadline)
		if err != nil || wait <= 0 {
			break
		}
		if len(msgs) == 0 && !sleepCtx(ctx, min(wait, batchPoll)) {
			break
		}
	}
	return events, seqs
}

type storedMsg struct {
	seq  uint64
	data []byte
}

// readAfter reads up to max messages of subject from seq on with one
// batched direct get, which any of the stream's replicas may answer. A
// replica that lags returns fewer (a prefix): they join a later batch.
func (q *natsQueue) readAfter(ctx context.Context, subject string, seq uint64, max int) ([]storedMsg, error) {
	ctx, cancel := context.WithTimeout(ctx, natsCallLimit)
	defer cancel()
	inbox := nats.NewInbox()
	sub, err := q.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	req, err := json.Marshal(struct {
		Seq   uint64 `json:"seq"`
		Next  string `json:"next_by_subj"`
		Batch int    `json:"batch"`
	}{seq, subject, max})
	if err != nil {
		return nil, err
	}
	if err := q.nc.PublishRequest("$JS.API.DIRECT.GET."+q.name, inbox, req); err != nil {
		return nil, err
	}
	var out []storedMsg
	for len(out) < max {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return out, err
		}
		if m.Header.Get("Status") != "" { // 204: end of batch; 404: nothing (yet)
			return out, nil
		}
		n, err := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
		if err != nil {
			return out, fmt.Errorf("direct get: sequence header %q", m.Header.Get(jetstream.SequenceHeader))
		}
		out = append(out, storedMsg{seq: n, data: m.Data})
	}
	return out, nil
}

// keepHeld tells NATS the head is still being worked on (retries may take
// much longer than AckWait) until the returned stop is called.
func (q *natsQueue) keepHeld(head jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(q.ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = head.InProgress() // a failure shows as a redelivery: at least once
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (q *natsQueue) logThrottled(msg string, args ...any) {
	if ok, suppressed := q.throttle.allow(); ok {
		q.logger.Warn(msg, append(args, "suppressed", suppressed)...)
	}
}

// sleepCtx waits d; false when ctx is done first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// state reads the stream's state; it is the cluster's, not this replica's.
// It fails at once while disconnected and within a second otherwise, so
// /debug/vars and /metrics stay quick during a NATS outage.
func (q *natsQueue) state() (jetstream.StreamState, error) {
	if !q.nc.IsConnected() {
		return jetstream.StreamState{}, nats.ErrDisconnected
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	info, err := q.stream.Info(ctx)
	if err != nil {
		return jetstream.StreamState{}, err
	}
	return info.State, nil
}

// Len is Pending cluster-wide: events accepted by any replica and not yet
// delivered (or dead-lettered) by any. When NATS cannot be read (or after
// Close) it is the last value read.
func (q *natsQueue) Len() int {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if !closed {
		if st, err := q.state(); err == nil {
			q.mu.Lock()
			q.last = int(st.Msgs)
			q.mu.Unlock()
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.last
}

func (q *natsQueue) oldest() (time.Time, bool) {
	st, err := q.state()
	if err != nil || st.Msgs == 0 {
		return time.Time{}, false
	}
	return st.FirstTime, true
}

// durable: what is left at shutdown stays in the stream for any replica.
func (q *natsQueue) durable() bool { return true }

// Flush waits until no event is pending anywhere in the cluster, or ctx
// is done (at once when closed).
func (q *natsQueue) Flush(ctx context.Context) error {
	for {
		q.mu.Lock()
		closed := q.closed
		q.mu.Unlock()
		if closed || q.Len() == 0 {
			return nil
		}
		if !sleepCtx(ctx, 20*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// Close stops this replica's delivery (an attempt in flight is cancelled
// and its events given back to the stream at once) and disconnects.
// Events in the stream stay for the other replicas, or the next start.
func (q *natsQueue) Close() error {
	q.mu.Lock()
	already := q.closed
	q.closed = true
	q.mu.Unlock()
	if already {
		return nil
	}
	q.cancel()
	<-q.done
	if st, err := q.state(); err == nil { // what Len reports from now on
		q.mu.Lock()
		q.last = int(st.Msgs)
		q.mu.Unlock()
	}
	var errs []error
	for _, s := range q.next {
		errs = append(errs, s.Close())
	}
	_ = q.nc.FlushTimeout(time.Second) // naks of cancelled attempts go out before the connection ends
	q.nc.Close()
	return errors.Join(errs...)
}
