package load

import "sync"

// owedByURL maps a target URL to what the hits made for it owe the ledger,
// oldest first: the targeter pushes one group per hit, and every result for
// that URL pops one, recording it when the hit succeeded. URLs are unique
// unless Profile.Distinct repeats them, so a URL's first group sits inline
// and only hits in flight at once for the same URL queue more behind it.
// Safe for concurrent use.
type owedByURL struct {
	mu sync.Mutex
	m  map[string]owedQueue
}

type owedQueue struct {
	first []Entry
	more  [][]Entry
}

// push queues es behind whatever earlier hits at url still owe.
func (o *owedByURL) push(url string, es []Entry) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = make(map[string]owedQueue)
	}
	q, ok := o.m[url]
	if !ok {
		o.m[url] = owedQueue{first: es}
		return
	}
	q.more = append(q.more, es)
	o.m[url] = q
}

// pop takes the oldest group owed at url (false: none).
func (o *owedByURL) pop(url string) ([]Entry, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	q, ok := o.m[url]
	if !ok {
		return nil, false
	}
	es := q.first
	if len(q.more) == 0 {
		delete(o.m, url)
		return es, true
	}
	q.first = q.more[0]
	q.more[0] = nil // let the group go once recorded
	q.more = q.more[1:]
	o.m[url] = q
	return es, true
}

// len is the number of URLs with something owed.
func (o *owedByURL) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.m)
}
