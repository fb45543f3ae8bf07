package notifications

import (
	"reflect"
	"time"
)

// Delivery is one endpoint's opt-in behaviour beyond Distribution's. The
// zero value is Distribution's behaviour: one event per POST, one POST at
// a time, retried forever, unsigned, in memory.
//
// A new setting is a field here (or in one of these structs) with the
// same name as its field in config.Endpoint; see README.md.
type Delivery struct {
	Batch       Batch
	Concurrency int // POSTs in flight at once; events of one repository stay in order (0 or 1: one)
	Signing     Signing
	Retry       Retry
	DeadLetter  DeadLetter
	Queue       Queue
}

// Queue selects where accepted events wait: "memory" (default,
// Distribution's), "disk" (a bbolt file at Path that survives restarts
// and kill -9, and keeps memory flat during a long outage) or "nats" (a
// JetStream stream shared by every replica, see NATS).
type Queue struct {
	Kind string // "", "memory", "disk" or "nats"
	Path string // disk only; one file per endpoint
	NATS *NATS  // nats only
}

// Retry limits retries. Zero values keep Distribution's: retry forever,
// threshold immediate tries, then one per backoff.
type Retry struct {
	MaxAttempts int           // give up after this many attempts (0: never)
	MaxAge      time.Duration // give up on events older than this (0: never)
	Backoff     time.Duration // if set: exponential backoff from this, with jitter, instead of threshold/backoff
	MaxBackoff  time.Duration // cap of the exponential backoff (0: none)
}

// DeadLetter says where events go when given up on. Giving up needs a
// limit in Retry or On4xx; the dead-letter log can be replayed.
type DeadLetter struct {
	Path  string // JSON-lines file the events are appended to (empty: logged only)
	On4xx bool   // give up at once on a 4xx answer other than 408 and 429
}

// isDistributions reports whether d asks for nothing beyond Distribution's
// behaviour (an explicit memory queue included), so the endpoint shows
// exactly Distribution's counters.
func (d Delivery) isDistributions() bool {
	if d.Queue.Kind == "memory" {
		d.Queue.Kind = ""
	}
	return unset(reflect.ValueOf(d))
}

// givesUp reports whether events can be set aside instead of retried forever.
func (d Delivery) givesUp() bool {
	return d.Retry.MaxAttempts > 0 || d.Retry.MaxAge > 0 || d.DeadLetter.On4xx
}

// Batch puts several events in one envelope. The queue sends what it has,
// up to MaxEvents, after waiting at most MaxWait for a batch to fill.
type Batch struct {
	MaxEvents int           // 0 or 1: one event per POST
	MaxWait   time.Duration // 0: send what is queued at once
}

// Signing signs each POST as Standard Webhooks do (webhook-id,
// webhook-timestamp, webhook-signature). Several secrets sign with each,
// for rotation.
type Signing struct {
	Secrets []string // "whsec_" + base64 key
}
