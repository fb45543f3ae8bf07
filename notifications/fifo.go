package notifications

// fifo is an unbounded FIFO of events in fixed-size chunks: appending
// never copies the backlog (a growing slice would, over and over, during
// a long outage) and delivered chunks are given back as the head moves.
type fifo struct {
	head, tail *fifoChunk
	r, w       int // read index in head, write index in tail
	n          int
	spare      *fifoChunk // one emptied chunk kept to avoid churn at steady state
}

const fifoChunkLen = 64

type fifoChunk struct {
	events [fifoChunkLen]Event
	next   *fifoChunk
}

func (f *fifo) len() int { return f.n }

func (f *fifo) push(e Event) {
	if f.tail == nil || f.w == fifoChunkLen {
		c := f.spare
		f.spare = nil
		if c == nil {
			c = &fifoChunk{}
		}
		if f.tail == nil {
			f.head, f.r = c, 0
		} else {
			f.tail.next = c
		}
		f.tail, f.w = c, 0
	}
	f.tail.events[f.w] = e
	f.w++
	f.n++
}

// peek returns the head event; the fifo must not be empty.
func (f *fifo) peek() Event { return f.head.events[f.r] }

// pop removes the head event; the fifo must not be empty.
func (f *fifo) pop() {
	f.head.events[f.r] = Event{} // let it be collected
	f.r++
	f.n--
	if f.r < fifoChunkLen && f.n > 0 {
		return
	}
	if f.n == 0 { // reuse the chunk in place
		f.head.next = nil
		f.tail, f.r, f.w = f.head, 0, 0
		return
	}
	old := f.head
	f.head, f.r = old.next, 0
	old.next = nil
	f.spare = old
}

// peekN copies up to k events from the head.
func (f *fifo) peekN(k int) []Event {
	k = min(k, f.n)
	out := make([]Event, 0, k)
	c, i := f.head, f.r
	for len(out) < k {
		if i == fifoChunkLen {
			c, i = c.next, 0
		}
		out = append(out, c.events[i])
		i++
	}
	return out
}

// popN removes k events from the head; there must be at least k.
func (f *fifo) popN(k int) {
	for range k {
		f.pop()
	}
}
