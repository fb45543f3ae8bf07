package notifications

import (
	"context"
	"sync"
)

// queueLife is what every queue stage shares: the lock, the lifetime of the
// goroutine that delivers from the queue, and the channel Flush waits on.
// The queue keeps its own count of pending events; mu guards it too.
type queueLife struct {
	mu     sync.Mutex
	closed bool
	idle   chan struct{} // closed when the queue next becomes empty

	cancel context.CancelFunc
	done   chan struct{} // closed when the delivery goroutine has returned
}

// start prepares the delivery goroutine's context; call it once, just
// before starting that goroutine, which must close l.done when it returns.
func (l *queueLife) start() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	return ctx
}

// flush waits until pending (called with mu held) reaches 0 or ctx is done;
// at once when closed, as nothing will be delivered any more.
func (l *queueLife) flush(ctx context.Context, pending func() int) error {
	l.mu.Lock()
	if pending() == 0 || l.closed {
		l.mu.Unlock()
		return nil
	}
	if l.idle == nil {
		l.idle = make(chan struct{})
	}
	idle := l.idle
	l.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// emptied wakes Flush callers; call it with mu held when pending reaches 0.
func (l *queueLife) emptied() {
	if l.idle != nil {
		close(l.idle)
		l.idle = nil
	}
}

// stop cancels delivery (an attempt in flight included), waits for the
// delivery goroutine, and closes the next stage. Only the first call acts.
func (l *queueLife) stop(next Sink) error {
	l.mu.Lock()
	already := l.closed
	l.closed = true
	l.mu.Unlock()
	if already {
		return nil
	}
	l.cancel()
	<-l.done
	return next.Close()
}
