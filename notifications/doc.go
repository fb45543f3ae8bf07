// Package notifications is the registry's webhook pipeline, wire-compatible
// with CNCF Distribution's: the same envelope JSON, the same per-endpoint
// counters (EndpointMetrics) in /debug/vars and the same Prometheus series.
//
// The path of one event is a straight line of calls:
//
//	Notifier.Notify(registry.Action)
//	  -> bridge.event            (Action -> Event, event.go / bridge.go)
//	  -> broadcaster.Write       (fan out to every enabled endpoint)
//	  -> ignoreFilter.Write      (ignoredmediatypes, ignore.mediatypes, ignore.actions)
//	  -> memoryQueue.Write       (unbounded FIFO; returns at once; one goroutine drains it)
//	  -> retryingSink.Write      (threshold immediate retries, then one per backoff, forever)
//	  -> httpSink.Write          (one POST per attempt, whole-request timeout; only 2xx delivers,
//	                              a same-origin 307/308 is followed once, no other redirect)
//
// Notifier.NotifyStored is the same path for requests that change the
// registry: a disk queue that cannot store the events makes it fail, and
// the registry answers 503 instead of success.
//
// Opt-in per endpoint (EndpointConfig.Delivery): a diskQueue (bbolt) in place of the
// memoryQueue, a shardedQueue of several queues keyed by repository for
// concurrency, batches taken from the queue, retry limits with a dead-letter
// log, and Standard Webhooks signatures in the HTTP stage.
//
// Every stage is a Sink wrapping the next, so a stage (a durable queue,
// batching, concurrency) can be replaced or inserted without touching the
// others. The queue and HTTP stages report to a metricsListener that keeps
// EndpointMetrics, read by Vars and by the Prometheus collector.
//
// The package takes its own settings (Config, EndpointConfig) and imports
// neither the config nor the app package; app copies config.yml's values
// into them by field name. It imports registry sideways for the Action it
// turns into events.
package notifications
