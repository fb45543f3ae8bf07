package notifications

import (
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// groupCommitter runs the changes of concurrent callers in one bbolt
// transaction, one fsync for all of them: while one commit is on disk the
// next callers gather, and go together as soon as it is done. Unlike
// bbolt's DB.Batch there is no fixed delay to wait out.
type groupCommitter struct {
	db *bolt.DB

	mu      sync.Mutex
	waiting []commitReq
	running bool
	loops   sync.WaitGroup // the loop goroutine: it outlives the callers it answered

	released time.Time // when releaseMapped last ran; loop only (one loop at a time)
}

// releaseEvery: how often the file's mapped pages are let go while the
// queue is busy; RSS from the file is what was touched in about this long.
const releaseEvery = time.Second

type commitReq struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// do applies fn in a transaction shared with other callers and returns
// once it is committed. fn may run twice (alone, if a group failed), so it
// must only put and delete.
func (c *groupCommitter) do(fn func(*bolt.Tx) error) error {
	req := commitReq{fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	c.waiting = append(c.waiting, req)
	if !c.running {
		c.running = true
		c.loops.Go(c.loop)
	}
	c.mu.Unlock()
	return <-req.done
}

// wait returns once no loop is running: callers are answered before their
// loop's last round is over (releaseMapped), so the file may only be closed
// after this.
func (c *groupCommitter) wait() { c.loops.Wait() }

func (c *groupCommitter) loop() {
	for {
		c.mu.Lock()
		group := c.waiting
		c.waiting = nil
		if len(group) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()

		err := c.db.Update(func(tx *bolt.Tx) error {
			for _, r := range group {
				if err := r.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil || len(group) == 1 {
			for _, r := range group {
				r.done <- err
			}
		} else {
			for _, r := range group { // one failed: find which, without failing the rest
				r.done <- c.db.Update(r.fn)
			}
		}
		if err == nil && time.Since(c.released) >= releaseEvery {
			c.released = time.Now()
			_ = releaseMapped(c.db) // only memory accounting is at stake; the next round tries again
		}
	}
}
