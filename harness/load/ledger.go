package load

import (
	"sync"
	"time"
)

// Entry is one event the registry owes its endpoints because the load got a
// success answer: a blob or manifest push, a pull, or a delete.
type Entry struct {
	Action     string    `json:"action"` // push, pull, delete
	Kind       string    `json:"kind"`   // blob, manifest, tag
	Repository string    `json:"repository"`
	Digest     string    `json:"digest,omitempty"`
	Tag        string    `json:"tag,omitempty"`
	MediaType  string    `json:"mediaType,omitempty"`
	At         time.Time `json:"at"`
	Seeded     bool      `json:"seeded,omitempty"` // made before the attack, not paced
}

// Ledger records every accepted operation; safe for concurrent use.
type Ledger struct {
	mu      sync.Mutex
	entries []Entry
}

// Add appends entries.
func (l *Ledger) Add(e ...Entry) {
	l.mu.Lock()
	l.entries = append(l.entries, e...)
	l.mu.Unlock()
}

// Entries returns a copy of everything recorded so far.
func (l *Ledger) Entries() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Entry(nil), l.entries...)
}

// Len is the number of entries.
func (l *Ledger) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// Count returns how many entries have the given action and kind ("" matches any).
func (l *Ledger) Count(action, kind string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.entries {
		if (action == "" || e.Action == action) && (kind == "" || e.Kind == kind) {
			n++
		}
	}
	return n
}
