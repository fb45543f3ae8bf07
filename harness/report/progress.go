package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hookbench/hookbench/harness"
)

// ttyEvery bounds a terminal's redraws: a few per second.
const ttyEvery = 250 * time.Millisecond

// Live shows a run's progress on w (stderr): on a terminal one line
// redrawn in place at most a few times per second; otherwise one plain
// line every interval, so that CI logs get a line now and then, not a
// flood.
type Live struct {
	w     io.Writer
	tty   bool
	every time.Duration

	mu    sync.Mutex
	last  time.Time
	line  string
	drawn bool
	now   func() time.Time
}

// NewLive returns a display on w; interval is the pace of plain lines
// when w is not a terminal (default 5s).
func NewLive(w io.Writer, tty bool, interval time.Duration) *Live {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	every := interval
	if tty {
		every = ttyEvery
	}
	return &Live{w: w, tty: tty, every: every, now: time.Now}
}

// Update shows p, unless the last line is too recent.
func (l *Live) Update(p harness.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		return
	}
	l.last = now
	l.line = Line(p)
	if l.tty {
		fmt.Fprintf(l.w, "\r\033[K%s", l.line)
		l.drawn = true
		return
	}
	fmt.Fprintln(l.w, l.line)
}

// Logf prints a message above the progress line.
func (l *Live) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tty && l.drawn {
		fmt.Fprint(l.w, "\r\033[K")
	}
	fmt.Fprintf(l.w, format+"\n", args...)
	if l.tty && l.drawn {
		fmt.Fprint(l.w, l.line)
	}
}

// Done ends the display: a terminal's line is left as it is, on its own.
func (l *Live) Done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.drawn {
		fmt.Fprintln(l.w)
		l.drawn = false
	}
}

// Line is the one-line progress figure: elapsed, phase, operations done
// of those planned with their rate and the ETA, events owed, then per
// endpoint what is pending and delivered.
//
//	12.3s load  hits 1200/5000 98/s ETA 38s, events owed 2400 | sink pending 3 delivered 2390
func Line(p harness.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6.1fs %-5s ", p.Elapsed.Seconds(), p.Phase)
	switch p.Phase {
	case "drain":
		fmt.Fprintf(&b, "hits %d", p.Hits)
		if p.Drain > 0 {
			fmt.Fprintf(&b, ", waiting for pending to settle (up to %s)", p.Drain)
		}
	default:
		fmt.Fprintf(&b, "hits %d", p.Hits)
		if p.TotalHits > 0 {
			fmt.Fprintf(&b, "/%d", p.TotalHits)
		}
		fmt.Fprintf(&b, " %.0f/s", p.HitRate)
		if eta, ok := ETA(p); ok {
			fmt.Fprintf(&b, " ETA %s", eta)
		}
	}
	fmt.Fprintf(&b, ", events owed %d", p.Pushed)
	for _, name := range p.Endpoints {
		fmt.Fprintf(&b, " | %s pending %d delivered %d", name, p.Pending[name], p.Delivered[name])
	}
	return b.String()
}

// ETA of the load: from the planned count and the current rate, or from
// the planned duration; none when neither is known.
func ETA(p harness.Progress) (time.Duration, bool) {
	var eta time.Duration
	switch {
	case p.TotalHits > 0 && p.HitRate > 0:
		eta = time.Duration(float64(max(p.TotalHits-p.Hits, 0)) / p.HitRate * float64(time.Second))
	case p.PlannedLoad > 0:
		eta = max(p.PlannedLoad-p.Elapsed, 0)
	default:
		return 0, false
	}
	return eta.Round(time.Second), true
}
