package notifications

import (
	"github.com/hookbench/hookbench/internal/wire"
	"maps"
	"sync"
)

// EndpointMetrics are one endpoint's counters, with Distribution's names
// and meaning: Failures, Errors and Statuses count attempts (POSTs), not
// events; Successes counts events delivered. Without batching one POST
// carries one event, so the two are the same, as in Distribution.
type EndpointMetrics struct {
	Pending   int            // accepted into the queue and not yet delivered
	Events    int            // accepted into the queue
	Successes int            // delivered (2xx answer to a POST carrying them)
	Failures  int            // attempts answered with any other status
	Errors    int            // attempts with no HTTP answer (refused, reset, timeout)
	Statuses  map[string]int // answered attempts by "<code> <StatusText>"

	// Beyond Distribution, shown only for endpoints with a Delivery setting.
	DeadLettered int // events given up on and set aside (Pending -1 each)
	Retries      int // attempts that repeated an earlier failed one
	Batches      int // POSTs delivered (envelopes; Successes counts their events)
}

// metricsListener is told by the queue and the HTTP stage what happened to
// events; it is the only writer of an endpoint's EndpointMetrics.
type metricsListener interface {
	ingress(events ...Event)             // accepted into the queue
	egress(events ...Event)              // left the queue delivered
	success(status int, events ...Event) // an attempt answered 2xx
	failure(status int, events ...Event) // an attempt answered otherwise
	err(err error, events ...Event)      // an attempt got no answer
	deadLettered(events ...Event)        // given up on (they leave the queue as egress)
	retry()                              // an attempt repeats a failed one
}

// safeMetrics is EndpointMetrics behind a lock, with the fault hooks the
// harness self-test uses to prove it notices wrong counters.
type safeMetrics struct {
	mu     sync.Mutex
	m      EndpointMetrics
	faults Faults
}

func newSafeMetrics(f Faults) *safeMetrics {
	return &safeMetrics{m: EndpointMetrics{Statuses: map[string]int{}}, faults: f}
}

func (s *safeMetrics) ingress(events ...Event) {
	s.mu.Lock()
	s.m.Events += len(events)
	s.m.Pending += len(events)
	s.mu.Unlock()
}

func (s *safeMetrics) egress(events ...Event) {
	if s.faults.ForgetPendingDecrement {
		return
	}
	s.mu.Lock()
	s.m.Pending -= len(events)
	s.mu.Unlock()
}

func (s *safeMetrics) success(status int, events ...Event) {
	s.mu.Lock()
	s.m.Successes += len(events)
	s.m.Batches++
	s.m.Statuses[wire.StatusKey(status)]++
	s.mu.Unlock()
}

func (s *safeMetrics) failure(status int, events ...Event) {
	s.mu.Lock()
	if s.faults.CountFailureAsSuccess {
		s.m.Successes += len(events)
	} else {
		s.m.Failures++
	}
	s.m.Statuses[wire.StatusKey(status)]++
	s.mu.Unlock()
}

func (s *safeMetrics) err(error, ...Event) {
	s.mu.Lock()
	s.m.Errors++
	s.mu.Unlock()
}

func (s *safeMetrics) deadLettered(events ...Event) {
	s.mu.Lock()
	s.m.DeadLettered += len(events)
	s.mu.Unlock()
}

func (s *safeMetrics) retry() {
	s.mu.Lock()
	s.m.Retries++
	s.mu.Unlock()
}

// snapshot returns a copy safe to read while delivery goes on.
func (s *safeMetrics) snapshot() EndpointMetrics {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.m
	m.Statuses = maps.Clone(s.m.Statuses)
	return m
}
