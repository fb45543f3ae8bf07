package notifications

import (
	"sync"
	"time"
)

// logThrottle lets one line through per interval and counts the rest, so
// a dead endpoint retried in a tight loop cannot flood the log.
type logThrottle struct {
	interval time.Duration
	now      func() time.Time

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether to log now and, if so, how many lines were held
// back since the last one logged.
func (t *logThrottle) allow() (ok bool, suppressed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if !t.last.IsZero() && now.Sub(t.last) < t.interval {
		t.suppressed++
		return false, 0
	}
	t.last = now
	suppressed, t.suppressed = t.suppressed, 0
	return true, suppressed
}
