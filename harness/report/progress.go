package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hookbench/hookbench/harness"
)

// Live returns a harness progress callback: on a terminal one line redrawn
// in place, otherwise a plain line every interval.
func Live(w io.Writer, tty bool, interval time.Duration) (update func(harness.Progress), done func()) {
	var mu sync.Mutex
	var last time.Time
	var drawn bool
	update = func(p harness.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if !tty && time.Since(last) < interval {
			return
		}
		last = time.Now()
		line := Line(p)
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", line)
			drawn = true
		} else {
			fmt.Fprintln(w, line)
		}
	}
	done = func() {
		mu.Lock()
		defer mu.Unlock()
		if drawn {
			fmt.Fprintln(w)
		}
	}
	return update, done
}

// Line is the one-line progress figure.
func Line(p harness.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6.1fs %-5s pushed %d (%.0f/s)", p.Elapsed.Seconds(), p.Phase, p.Pushed, p.PushRate)
	for _, name := range p.Endpoints {
		fmt.Fprintf(&b, " | %s delivered %d pending %d", name, p.Delivered[name], p.Pending[name])
	}
	return b.String()
}
