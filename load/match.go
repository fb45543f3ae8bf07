package load

import (
	"fmt"

	"github.com/hookbench/hookbench/fakes/endpoint"
)

// Mismatch is a delivered event paired with the entry it most likely
// answers, and the first field where it says something else.
type Mismatch struct {
	Entry Entry  `json:"entry"`
	Event int    `json:"event"` // index into the events matched
	ID    string `json:"id"`    // the event's id
	Field string `json:"field"`
	Want  string `json:"want"`
	Got   string `json:"got"`
}

// String reads: manifest-push-by-digest: target.tag: want "", got "v1" (event id ...).
func (m Mismatch) String() string {
	op := m.Entry.Op
	if op == "" {
		op = "unnamed operation"
	}
	return fmt.Sprintf("%s: %s: want %s, got %s (event %s)", op, m.Field, m.Want, m.Got, m.ID)
}

// Matching is the verdict of comparing what was owed with what arrived.
type Matching struct {
	Matched    int        `json:"matched"`              // events equal to an owed entry in every checked field
	Mismatches []Mismatch `json:"mismatches,omitempty"` // events about an owed object that say something else
	Missing    []Entry    `json:"missing,omitempty"`    // owed, never delivered (nor anything like them)
	Unowed     []int      `json:"unowed,omitempty"`     // indexes of events nothing owes
	Partial    int        `json:"partial,omitempty"`    // events compared by identity only (no body recorded)
	// Unsettled counts Uncertain entries no event matched: requests that got
	// no answer and (as far as delivery shows) did not take effect. They are
	// not Missing.
	Unsettled int `json:"unsettled,omitempty"`
}

// MatchDeliveries matches the receiver's deliveries (one per event id,
// duplicates removed by the caller) with what the load owes.
func MatchDeliveries(owed []Entry, ds []endpoint.Delivery) Matching {
	evs := make([]Event, len(ds))
	for i, d := range ds {
		evs[i] = EventOf(d)
	}
	return Match(owed, evs)
}

// scanLimit bounds how many same-identity entries one event is compared
// with before it is left over (only a bug makes that many differ).
const scanLimit = 64

// maxPairing bounds the quadratic fallback that pairs leftovers to name a
// field: beyond it, leftovers are reported as missing and unowed.
const maxPairing = 4096

// Match pairs every event with an owed entry equal in every checked field
// (each entry answers one event). Events left over are paired, where they
// are about the same object (repository and digest, repository and tag,
// or digest) or come from the same hit (user agent), with a left-over entry, and reported as a Mismatch naming
// the first differing field; the rest are Unowed, and entries nobody
// answered are Missing.
func Match(owed []Entry, evs []Event) Matching {
	var m Matching
	// Indexes: an entry made by the load is found by identity and user
	// agent (which names the hit), so repeated identical operations
	// (pulls of one manifest) cost O(1) each; an entry without Op, or an
	// event without a body, by identity alone.
	type ident struct{ action, repo, digest, tag string }
	type agentKey struct {
		ident
		ua string
	}
	byAgent := map[agentKey][]int{} // entries with Op
	bare := map[ident][]int{}       // entries without Op
	all := map[ident][]int{}        // every entry, for partial events
	for i, e := range owed {
		k := ident{e.Action, e.Repository, e.Digest, e.Tag}
		all[k] = append(all[k], i)
		if e.Op == "" {
			bare[k] = append(bare[k], i)
		} else {
			ak := agentKey{k, e.UserAgent}
			byAgent[ak] = append(byAgent[ak], i)
		}
	}
	used := make([]bool, len(owed))
	// take consumes the first unused entry of l that ev matches, looking
	// at scanLimit entries at most, and drops used ones from l's head.
	take := func(l []int, ev Event) ([]int, int) {
		for len(l) > 0 && used[l[0]] {
			l = l[1:]
		}
		for x, i := range l {
			if x == scanLimit {
				break
			}
			if used[i] {
				continue
			}
			if _, _, _, ok := owed[i].Diff(ev); ok {
				used[i] = true
				return l, i
			}
		}
		return l, -1
	}
	var left []int
	for j, ev := range evs {
		if ev.Partial {
			m.Partial++
		}
		k := ident{ev.Action, ev.Target.Repository, ev.Target.Digest, ev.Target.Tag}
		i := -1
		if !ev.Partial {
			ak := agentKey{k, ev.Request.UserAgent}
			byAgent[ak], i = take(byAgent[ak], ev)
		}
		if i < 0 {
			bare[k], i = take(bare[k], ev)
		}
		if i < 0 && ev.Partial {
			all[k], i = take(all[k], ev)
		}
		if i < 0 {
			left = append(left, j)
			continue
		}
		m.Matched++
	}

	// Leftovers: pair by object, most specific first.
	if len(left) > 0 && len(left) <= maxPairing {
		type obj struct{ a, b string }
		byRepoDigest, byRepoTag, byDigest, byAgent := map[obj][]int{}, map[obj][]int{}, map[obj][]int{}, map[obj][]int{}
		for i, e := range owed {
			if used[i] {
				continue
			}
			if e.Digest != "" {
				byRepoDigest[obj{e.Repository, e.Digest}] = append(byRepoDigest[obj{e.Repository, e.Digest}], i)
				byDigest[obj{"", e.Digest}] = append(byDigest[obj{"", e.Digest}], i)
			}
			if e.Tag != "" {
				byRepoTag[obj{e.Repository, e.Tag}] = append(byRepoTag[obj{e.Repository, e.Tag}], i)
			}
			if e.UserAgent != "" {
				byAgent[obj{"", e.UserAgent}] = append(byAgent[obj{"", e.UserAgent}], i)
			}
		}
		pick := func(ev Event, cands []int) int {
			first := -1
			for _, i := range cands {
				if used[i] {
					continue
				}
				if owed[i].Action == ev.Action {
					return i
				}
				if first < 0 {
					first = i
				}
			}
			return first
		}
		var still []int
		for _, j := range left {
			ev := evs[j]
			i := -1
			if ev.Target.Digest != "" {
				i = pick(ev, byRepoDigest[obj{ev.Target.Repository, ev.Target.Digest}])
			}
			if i < 0 && ev.Target.Tag != "" {
				i = pick(ev, byRepoTag[obj{ev.Target.Repository, ev.Target.Tag}])
			}
			if i < 0 && ev.Target.Digest != "" {
				i = pick(ev, byDigest[obj{"", ev.Target.Digest}])
			}
			if i < 0 && ev.Request.UserAgent != "" { // the load names op and hit in it
				i = pick(ev, byAgent[obj{"", ev.Request.UserAgent}])
			}
			if i < 0 {
				still = append(still, j)
				continue
			}
			used[i] = true
			f, w, g, _ := owed[i].Diff(ev)
			m.Mismatches = append(m.Mismatches, Mismatch{Entry: owed[i], Event: j, ID: ev.ID, Field: f, Want: w, Got: g})
		}
		left = still
	}
	m.Unowed = left
	for i, e := range owed {
		switch {
		case used[i]:
		case e.Uncertain:
			m.Unsettled++
		default:
			m.Missing = append(m.Missing, e)
		}
	}
	return m
}
