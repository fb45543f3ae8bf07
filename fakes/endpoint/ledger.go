package endpoint

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"
)

// Outcomes of a delivery attempt, as recorded in the ledger.
const (
	OutcomeAnswered   = "answered"    // a status was written (Status)
	OutcomeHang       = "hang"        // never answered (Status 0)
	OutcomeReset      = "reset"       // connection reset, no status (Status 0)
	OutcomeBadRequest = "bad-request" // malformed body, wrong media type or method (no event)
	OutcomeTimeout    = "timeout"     // the client gave up during the latency delay (Status 0)
	OutcomeProxyDup   = "proxy-duplicate"
	OutcomeProxyLate  = "proxy-late"
)

// Delivery is one event of one delivery attempt (one POST), as recorded.
type Delivery struct {
	ID         string    `json:"id"`
	Action     string    `json:"action"`
	Repository string    `json:"repository"`
	Digest     string    `json:"digest"`
	Tag        string    `json:"tag"`
	MediaType  string    `json:"mediaType"`
	Timestamp  time.Time `json:"timestamp"` // the event's own
	Arrived    time.Time `json:"arrived"`
	Attempt    int       `json:"attempt"` // 1 = first time this id was seen
	Status     int       `json:"status"`  // 0 when hung, reset or timed out
	Outcome    string    `json:"outcome"`
	Post       uint64    `json:"post"`            // sequence number of the POST that carried it
	Error      string    `json:"error,omitempty"` // why a bad request / 401 / proxy error
	// Event is the whole event as received, for field-by-field checks.
	Event json.RawMessage `json:"event,omitempty"`
}

// Accepted reports whether the answer delivered the events: a 2xx only. A
// 3xx delivered nothing (the events did not reach where it points), though
// Distribution counts it as a success.
func (d Delivery) Accepted() bool { return d.Status >= 200 && d.Status < 300 }

// Filter selects ledger rows; zero fields match everything.
type Filter struct {
	ID         string    `json:"id,omitempty"`
	Repository string    `json:"repository,omitempty"`
	Action     string    `json:"action,omitempty"`
	Outcome    string    `json:"outcome,omitempty"`
	Since      time.Time `json:"since,omitzero"` // Arrived >= Since
}

func (f Filter) match(d *Delivery) bool {
	return (f.ID == "" || f.ID == d.ID) && (f.Repository == "" || f.Repository == d.Repository) &&
		(f.Action == "" || f.Action == d.Action) && (f.Outcome == "" || f.Outcome == d.Outcome) &&
		(f.Since.IsZero() || !d.Arrived.Before(f.Since))
}

// Stats are the receiver's exact counters (they stay exact when the ledger
// is capped).
type Stats struct {
	Deliveries   int            `json:"deliveries"` // POSTs (attempts) received, bad ones included
	Events       int            `json:"events"`     // events in well-formed envelopes, duplicates included
	Unique       int            `json:"unique"`     // distinct event ids
	Duplicates   int            `json:"duplicates"` // Events - Unique
	Statuses     map[string]int `json:"statuses"`   // answered attempts by "500 Internal Server Error"
	Resets       int            `json:"resets"`
	Hangs        int            `json:"hangs"`    // hung attempts the client gave up on
	Timeouts     int            `json:"timeouts"` // attempts the client gave up on during the latency delay
	BadRequests  int            `json:"badRequests"`
	Unauthorized int            `json:"unauthorized"`
	Delivered    int            `json:"delivered"` // ids answered 2xx at least once
	// Latency is event timestamp to arrival of the first successful
	// delivery of each id.
	Latency LatencyStats `json:"latency"`
	// Proxy mode: forwards to the real receiver, and those that failed.
	Forwarded   int `json:"forwarded"`
	ProxyErrors int `json:"proxyErrors"`
	// LedgerLen rows are kept; LedgerDropped rows were overwritten by the cap.
	LedgerLen     int  `json:"ledgerLen"`
	LedgerDropped int  `json:"ledgerDropped"`
	Up            bool `json:"up"` // the receiver is listening
}

// LatencyStats are delivery latency percentiles (about 1% precision).
type LatencyStats struct {
	Count int           `json:"count"`
	Min   time.Duration `json:"min"`
	P50   time.Duration `json:"p50"`
	P90   time.Duration `json:"p90"`
	P99   time.Duration `json:"p99"`
	Max   time.Duration `json:"max"`
}

type idState struct {
	attempts  int
	delivered bool
}

// ledger holds rows in a ring buffer and counters that never drop.
type ledger struct {
	mu      sync.Mutex
	cap     int // 0: unbounded
	rows    []Delivery
	head    int // next write when full
	dropped int
	ids     map[string]*idState
	st      Stats
	lat     histogram
	post    uint64
	log     *slog.Logger
}

func newLedger(capacity int) *ledger {
	l := &ledger{cap: max(capacity, 0), log: slog.New(slog.DiscardHandler)}
	l.reset()
	return l
}

func (l *ledger) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows, l.head, l.dropped = nil, 0, 0
	l.ids = map[string]*idState{}
	l.st = Stats{Statuses: map[string]int{}}
	l.lat = histogram{}
}

func (l *ledger) append(d Delivery) {
	if l.cap == 0 || len(l.rows) < l.cap {
		l.rows = append(l.rows, d)
		return
	}
	l.rows[l.head] = d
	l.head = (l.head + 1) % l.cap
	l.dropped++
}

// nextPost numbers a POST.
func (l *ledger) nextPost() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.post++
	return l.post
}

// badRequest records a POST that carried no usable envelope; status 0
// means nobody was left to answer.
func (l *ledger) badRequest(post uint64, arrived time.Time, status int, why string) {
	l.log.Debug("bad request", "post", post, "status", status, "why", why)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.st.Deliveries++
	l.st.BadRequests++
	if status != 0 {
		l.st.Statuses[StatusKey(status)]++
	}
	l.append(Delivery{Arrived: arrived, Status: status, Outcome: OutcomeBadRequest, Post: post, Error: why})
}

// attempt records one POST of events with its outcome.
func (l *ledger) attempt(post uint64, events []event, arrived time.Time, status int, outcome, why string) {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug("delivery", "post", post, "events", len(events), "outcome", outcome, "status", status, "why", why)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.st.Deliveries++
	switch outcome {
	case OutcomeAnswered:
		l.st.Statuses[StatusKey(status)]++
		if status == 401 {
			l.st.Unauthorized++
		}
	case OutcomeReset:
		l.st.Resets++
	case OutcomeTimeout:
		l.st.Timeouts++
	}
	ok := outcome == OutcomeAnswered && status >= 200 && status < 300
	for i := range events {
		e := &events[i]
		s := l.ids[e.ID]
		if s == nil {
			s = &idState{}
			l.ids[e.ID] = s
			l.st.Unique++
		} else {
			l.st.Duplicates++
		}
		l.st.Events++
		s.attempts++
		if ok && !s.delivered {
			s.delivered = true
			l.st.Delivered++
			if !e.Timestamp.IsZero() {
				l.lat.add(arrived.Sub(e.Timestamp))
			}
		}
		l.append(row(e, post, arrived, s.attempts, status, outcome, why))
	}
}

// extra records a proxy-side forward the sender did not make (a
// duplicate or a late reordered forward): a ledger row, no sender counters.
func (l *ledger) extra(post uint64, events []event, arrived time.Time, status int, outcome, why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range events {
		e := &events[i]
		n := 0
		if s := l.ids[e.ID]; s != nil {
			n = s.attempts
		}
		l.append(row(e, post, arrived, n, status, outcome, why))
	}
}

func row(e *event, post uint64, arrived time.Time, attempt, status int, outcome, why string) Delivery {
	return Delivery{ID: e.ID, Action: e.Action, Repository: e.Target.Repository, Digest: e.Target.Digest,
		Tag: e.Target.Tag, MediaType: e.Target.MediaType, Timestamp: e.Timestamp, Arrived: arrived,
		Attempt: attempt, Status: status, Outcome: outcome, Post: post, Error: why, Event: e.raw}
}

func (l *ledger) count(f func(*Stats)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(&l.st)
}

func (l *ledger) stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.st
	s.Statuses = make(map[string]int, len(l.st.Statuses))
	for k, v := range l.st.Statuses {
		s.Statuses[k] = v
	}
	s.Latency = l.lat.stats()
	s.LedgerLen, s.LedgerDropped = len(l.rows), l.dropped
	return s
}

// list returns matching rows oldest first.
func (l *ledger) list(f Filter) []Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Delivery{}
	n := len(l.rows)
	for i := 0; i < n; i++ {
		d := &l.rows[(l.head+i)%n]
		if f.match(d) {
			out = append(out, *d)
		}
	}
	return out
}

// NoAnswer is the number of attempts the receiver saw but never answered
// (a registry counts each as an Error).
func (s Stats) NoAnswer() int { return s.Resets + s.Hangs + s.Timeouts }
