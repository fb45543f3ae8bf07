package notifications

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hookbench/hookbench/config"
)

// Delivery is one endpoint's opt-in behaviour beyond Distribution's. The
// zero value is Distribution's behaviour: one event per POST, one POST at
// a time, retried forever, unsigned.
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

// WithDelivery sets the opt-in delivery behaviour of the endpoint named
// endpoint (config: the endpoint's batch, concurrency and signing keys).
func WithDelivery(endpoint string, d Delivery) Option {
	return func(o *options) {
		if o.delivery == nil {
			o.delivery = map[string]Delivery{}
		}
		o.delivery[endpoint] = d
	}
}

// checkDeliveries validates every WithDelivery against the config.
func checkDeliveries(cfg config.Notifications, ds map[string]Delivery) error {
	var errs []error
	for name, d := range ds {
		i := slices.IndexFunc(cfg.Endpoints, func(ep config.Endpoint) bool { return ep.Name == name })
		if i < 0 {
			errs = append(errs, fmt.Errorf("notifications: delivery settings for %q, which is not a configured endpoint", name))
			continue
		}
		errs = append(errs, checkDelivery(fmt.Sprintf("notifications.endpoints[%d]", i), d))
	}
	return errors.Join(errs...)
}

// checkDelivery validates d, naming keys under the endpoint's config path.
func checkDelivery(prefix string, d Delivery) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	if d.Batch.MaxEvents < 0 {
		bad("batch.maxevents", "must not be negative, got %d", d.Batch.MaxEvents)
	}
	if d.Batch.MaxWait < 0 {
		bad("batch.maxwait", "must not be negative, got %v", d.Batch.MaxWait)
	}
	if d.Retry.MaxAttempts < 0 {
		bad("retry.maxattempts", "must not be negative, got %d", d.Retry.MaxAttempts)
	}
	for key, v := range map[string]time.Duration{"retry.maxage": d.Retry.MaxAge, "retry.backoff": d.Retry.Backoff, "retry.maxbackoff": d.Retry.MaxBackoff} {
		if v < 0 {
			bad(key, "must not be negative, got %v", v)
		}
	}
	if d.DeadLetter.Path != "" && !d.givesUp() {
		bad("deadletter.path", "set, but nothing is ever given up: set retry.maxattempts, retry.maxage or deadletter.on4xx")
	}
	switch d.Queue.Kind {
	case "", "memory":
		if d.Queue.Path != "" {
			bad("queue.path", "only for queue disk")
		}
	case "disk":
		if d.Queue.Path == "" {
			bad("queue.path", "required for queue disk")
		}
	case "nats":
		if d.Queue.NATS == nil || len(d.Queue.NATS.URLs) == 0 {
			bad("queue.nats.urls", "required for queue nats")
		}
	default:
		bad("queue", "unknown queue %q (want memory, disk or nats)", d.Queue.Kind)
	}
	if d.Concurrency < 0 {
		bad("concurrency", "must not be negative, got %d", d.Concurrency)
	}
	for i, s := range d.Signing.Secrets {
		if _, err := decodeSecret(s); err != nil {
			bad(fmt.Sprintf("signing.secrets[%d]", i), "%v", err)
		}
	}
	return errors.Join(errs...)
}
