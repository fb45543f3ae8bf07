package notifications

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookbench/hookbench/registry"
)

// Notifier is one registry's notification pipeline. It implements
// registry.Listener; Notify never blocks on delivery.
type Notifier struct {
	bridge    bridge
	endpoints []*endpoint
	sink      Sink // broadcaster over the endpoints
	logger    *slog.Logger

	mu     sync.RWMutex // Notify holds it shared; Shutdown exclusively to close
	closed bool
	late   *logThrottle // events refused after Shutdown
}

var _ registry.StoringListener = (*Notifier)(nil)

// Option configures a Notifier.
type Option func(*options)

type options struct {
	sourceAddr, instanceID string
	baseURL                string
	logger                 *slog.Logger
	client                 *http.Client
	faults                 Faults
	logInterval            time.Duration
	writeFaults            WriteFaults
}

// WithSource sets the event's source: addr is hostname:port of this
// registry (an empty host, as in ":5000", is filled with os.Hostname, as
// Distribution does) and instanceID identifies this process (a new UUID
// when empty).
func WithSource(addr, instanceID string) Option {
	return func(o *options) { o.sourceAddr, o.instanceID = addr, instanceID }
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithHTTPClient sets the client the HTTP stage posts with. Each endpoint
// uses a copy with its own Timeout and with automatic redirects off (its
// CheckRedirect is replaced): only a same-origin 307/308 is followed, once,
// by the HTTP stage itself.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithBaseURL sets the scheme://host used in target URLs (config
// http.host) instead of the request's own.
func WithBaseURL(u string) Option { return func(o *options) { o.baseURL = u } }

// WithLogInterval sets how often a failing endpoint may log (default 10s).
func WithLogInterval(d time.Duration) Option { return func(o *options) { o.logInterval = d } }

// WithFaults switches on deliberate counting bugs for the harness's
// self-test. Never use it in production.
func WithFaults(f Faults) Option { return func(o *options) { o.faults = f } }

// New builds and starts the pipeline for every endpoint in cfg, with
// Distribution's defaults for zero timeout, threshold and backoff. It
// expects settings the config package has validated and fails, with an
// *EndpointError, only on an endpoint it cannot build (see newEndpoint).
func New(cfg Config, opts ...Option) (*Notifier, error) {
	o := options{logger: slog.Default(), logInterval: 10 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if o.client == nil {
		// One transport per Notifier so instances share no connections.
		// Unlike Distribution (a new TCP connection per POST) idle
		// connections are kept alive: same wire format, less overhead.
		o.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	n := &Notifier{
		bridge: bridge{
			source:            SourceRecord{Addr: sourceAddr(o.sourceAddr), InstanceID: o.instanceID},
			baseURL:           o.baseURL,
			includeReferences: cfg.Events.IncludeReferences,
			now:               time.Now,
		},
		logger: o.logger,
		late:   &logThrottle{interval: o.logInterval, now: time.Now},
	}
	if n.bridge.source.InstanceID == "" {
		n.bridge.source.InstanceID = newID()
	}
	b := &broadcaster{}
	for _, c := range cfg.Endpoints {
		ep, err := newEndpoint(c.withDefaults(), endpointDeps{client: o.client, logger: o.logger, faults: o.faults, logInterval: o.logInterval,
			queueFault: o.writeFaults.Queue, deadLetterFault: o.writeFaults.DeadLetter})
		if err != nil {
			stop, cancel := context.WithCancel(context.Background())
			cancel() // stop at once: nothing was accepted yet, a disk queue keeps its events
			for _, started := range n.endpoints {
				started.drain(stop)
			}
			return nil, err
		}
		n.endpoints = append(n.endpoints, ep)
		b.sinks = append(b.sinks, ep.head)
	}
	n.sink = b
	return n, nil
}

// sourceAddr fills an empty host with the machine's hostname.
func sourceAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "" {
		return addr
	}
	if h, err := os.Hostname(); err == nil {
		return net.JoinHostPort(h, port)
	}
	return addr
}

// Notify makes the event for a and queues it on every endpoint whose
// ignore rules let it through. It returns without waiting for delivery.
func (n *Notifier) Notify(ctx context.Context, a registry.Action) {
	if len(n.endpoints) == 0 {
		return
	}
	e := n.bridge.event(a)
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.closed {
		n.refuseLate(e)
		return
	}
	if err := n.sink.Write(ctx, e); err != nil {
		n.logger.Error("notifications: event not queued", "id", e.ID, "action", e.Action,
			"repository", e.Target.Repository, "error", err)
	}
}

// NotifyStored is Notify for the Actions of one request that changed the
// registry (registry.StoringListener). Their events are queued together on
// each endpoint; when an endpoint with a disk queue cannot store them (a
// full disk, a write error, or shutdown under way) it returns an error so
// the request can fail instead of answering success without its events.
// Memory queues cannot fail to store; their errors are only logged, as in
// Notify. Other endpoints may have stored the events already: a retried
// request sends them again, with new ids.
func (n *Notifier) NotifyStored(ctx context.Context, actions ...registry.Action) error {
	if len(n.endpoints) == 0 || len(actions) == 0 {
		return nil
	}
	events := make([]Event, len(actions))
	for i, a := range actions {
		events[i] = n.bridge.event(a)
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	var errs []error
	for _, ep := range n.endpoints {
		var err error
		if n.closed {
			err = errClosed
		} else {
			err = ep.head.Write(ctx, events...)
		}
		if err == nil {
			continue
		}
		if ep.durable() {
			errs = append(errs, fmt.Errorf("endpoint %s: event not stored: %w", ep.cfg.Name, err))
			continue
		}
		for _, e := range events {
			if n.closed {
				n.refuseLate(e)
			} else {
				n.logger.Error("notifications: event not queued", "id", e.ID, "action", e.Action,
					"repository", e.Target.Repository, "error", err)
			}
		}
	}
	if len(errs) > 0 {
		err := errors.Join(errs...)
		n.logger.Error("notifications: events not stored; the request fails", "ids", eventIDs(events), "error", err)
		return err
	}
	return nil
}

// refuseLate logs (rate-limited) events that arrive after Shutdown began,
// so none is dropped silently.
func (n *Notifier) refuseLate(e Event) {
	if ok, suppressed := n.late.allow(); ok {
		n.logger.Warn("notifications: shutting down, event dropped", "id", e.ID, "action", e.Action,
			"repository", e.Target.Repository, "alsoDropped", suppressed)
	}
}

// Requeue queues events again on the named endpoint, as they are (same
// ids), e.g. to replay a dead-letter log once the receiver is fixed. They
// count as newly accepted (Events, Pending).
func (n *Notifier) Requeue(endpoint string, events []Event) error {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.closed {
		return errClosed
	}
	for _, ep := range n.endpoints {
		if ep.cfg.Name == endpoint {
			return ep.queue.Write(context.Background(), events...)
		}
	}
	return fmt.Errorf("notifications: no enabled endpoint named %q", endpoint)
}

// Vars is the value of registry.notifications in /debug/vars.
func (n *Notifier) Vars() any {
	v := NotificationsVars{Endpoints: make([]EndpointVars, 0, len(n.endpoints))}
	for _, ep := range n.endpoints {
		v.Endpoints = append(v.Endpoints, ep.vars())
	}
	return v
}

// Metrics returns a copy of each endpoint's counters by endpoint name.
func (n *Notifier) Metrics() map[string]EndpointMetrics {
	out := make(map[string]EndpointMetrics, len(n.endpoints))
	for _, ep := range n.endpoints {
		out[ep.cfg.Name] = ep.metrics.snapshot()
	}
	return out
}

// Register adds this Notifier's collectors to reg (use one registry per
// registry instance; nothing is registered globally).
func (n *Notifier) Register(reg prometheus.Registerer) error {
	return reg.Register(newCollector(n))
}

// Shutdown stops accepting events, delivers what is pending until ctx is
// done, then stops every endpoint and returns (and logs) how many events
// each endpoint dropped undelivered. Calling it again returns the same.
func (n *Notifier) Shutdown(ctx context.Context) map[string]int {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()

	dropped := make(map[string]int, len(n.endpoints))
	kept := make(map[string]int, len(n.endpoints))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, ep := range n.endpoints {
		wg.Add(1)
		go func() { // endpoints drain in parallel: one dead endpoint must not eat the others' time
			defer wg.Done()
			left, durable := ep.drain(ctx)
			mu.Lock()
			defer mu.Unlock()
			if durable {
				dropped[ep.cfg.Name], kept[ep.cfg.Name] = 0, left
			} else {
				dropped[ep.cfg.Name] = left
			}
		}()
	}
	wg.Wait()
	for _, ep := range n.endpoints {
		if k := kept[ep.cfg.Name]; k > 0 {
			n.logger.Info("notifications: undelivered events kept in the durable queue (disk: for the next start; nats: for any replica)", "endpoint", ep.cfg.Name, "kept", k)
		} else if d := dropped[ep.cfg.Name]; d > 0 {
			n.logger.Warn("notifications: shutdown dropped undelivered events", "endpoint", ep.cfg.Name, "url", ep.safeURL, "dropped", d)
		} else {
			n.logger.Info("notifications: endpoint drained", "endpoint", ep.cfg.Name)
		}
	}
	return dropped
}
