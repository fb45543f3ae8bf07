package load

import (
	"fmt"
	"sync"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Entry is one event the registry owes its endpoints because an operation
// of the load got a success answer, with everything the event must say
// (see Diff). An Entry without Op is a bare identity (action, repository,
// digest, tag), compared as such.
type Entry struct {
	// Op is the operation that owes the event (Op* constants, or OpSeed).
	Op         string `json:"op,omitempty"`
	Action     string `json:"action"` // push, pull, mount, delete
	Kind       string `json:"kind"`   // blob, manifest, tag
	Repository string `json:"repository"`
	Digest     string `json:"digest,omitempty"`
	Tag        string `json:"tag,omitempty"`
	MediaType  string `json:"mediaType,omitempty"` // the event's target.mediaType ("" in deletes)
	Size       int64  `json:"size,omitempty"`
	Length     int64  `json:"length,omitempty"`
	URL        string `json:"url,omitempty"` // digest URL of the object ("" in deletes)
	// FromRepository is the mount source.
	FromRepository string `json:"fromRepository,omitempty"`
	// References the event must carry (nil: none, as without
	// includereferences).
	References []v1.Descriptor `json:"references,omitempty"`
	Method     string          `json:"method,omitempty"`     // request.method
	UserAgent  string          `json:"userAgent,omitempty"`  // request.useragent
	Host       string          `json:"host,omitempty"`       // request.host
	Actor      string          `json:"actor,omitempty"`      // actor.name ("" without auth)
	SourceAddr string          `json:"sourceAddr,omitempty"` // source.addr; "" = not checked
	// Unchecked names fields this entry cannot know (e.g. actor.name
	// behind a bearer token); Diff skips them.
	Unchecked []string  `json:"unchecked,omitempty"`
	At        time.Time `json:"at"`
	Seeded    bool      `json:"seeded,omitempty"` // made before the attack, not paced
	// Uncertain: the request got no answer (the registry was killed, the
	// connection cut), so it may or may not have taken effect. A delivered
	// event matching it is neither owed nor unexpected; none is not lost.
	Uncertain bool `json:"uncertain,omitempty"`
}

// String names the entry and its operation for failure messages.
func (e Entry) String() string {
	op := e.Op
	if op == "" {
		op = "unnamed operation"
	}
	return fmt.Sprintf("%s: %s %s %s@%s%s", op, e.Action, e.Kind, e.Repository, short(e.Digest), tagSuffix(e.Tag))
}

// Ledger records every accepted operation; safe for concurrent use.
type Ledger struct {
	mu sync.Mutex
	// Entries in order, in chunks of ledgerChunk: one slice growing to
	// millions of entries copied itself whole at every doubling, a
	// noticeable share of the load generator's CPU.
	chunks [][]Entry
	n      int
}

// ledgerChunk is how many entries a chunk holds (about 1.5 MB).
const ledgerChunk = 4096

// Add appends entries.
func (l *Ledger) Add(e ...Entry) {
	l.mu.Lock()
	for len(e) > 0 {
		last := len(l.chunks) - 1
		if last < 0 || len(l.chunks[last]) == ledgerChunk {
			size := ledgerChunk
			if last < 0 { // the first grows as needed: most ledgers are small
				size = 0
			}
			l.chunks = append(l.chunks, make([]Entry, 0, size))
			last++
		}
		k := min(len(e), ledgerChunk-len(l.chunks[last]))
		l.chunks[last] = append(l.chunks[last], e[:k]...)
		e = e[k:]
		l.n += k
	}
	l.mu.Unlock()
}

// Entries returns a copy of everything recorded so far.
func (l *Ledger) Entries() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return nil
	}
	out := make([]Entry, 0, l.n)
	for _, c := range l.chunks {
		out = append(out, c...)
	}
	return out
}

// Len is the number of entries.
func (l *Ledger) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Count returns how many entries have the given action and kind ("" matches any).
func (l *Ledger) Count(action, kind string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.chunks {
		for i := range c {
			if e := &c[i]; (action == "" || e.Action == action) && (kind == "" || e.Kind == kind) {
				n++
			}
		}
	}
	return n
}
