package filesystem

import (
	"bytes"
	"encoding/binary"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// The index is built behind the log. A write appends its record to
// manifests.log and applies the change to a small in-memory layer (the
// overlay), then answers; an indexer goroutine moves the overlay into
// bbolt in large transactions, each also storing the watermark: the log
// offset up to which bbolt holds everything. A commit's fixed costs (the
// freelist, branch pages, meta page, write) are shared by thousands of
// changes instead of a few, and changes landing on one leaf page share its
// rewrite; what stays per change is the insert into a leaf page (with
// random digests as keys, most inserts still dirty a page of their own).
//
// Reads look at the overlay first (deletes are tombstones there, shadowing
// bbolt), then bbolt. While the indexer commits, the layer it moves is
// frozen beside a fresh active one, and both are read until the commit is
// done. The overlay is bounded (maxOverlay changes, maxOverlayBytes of log):
// writers wait for the indexer when it is full. At open, the records past
// the watermark are replayed into the overlay; that is at most two layers'
// worth, so a restart costs milliseconds.
//
// Consistency of a read that needs both (a list, or a write's check):
// bbolt only ever changes by a commit of the frozen layer, and a layer
// leaves memory only after its commit (counted in gen). So bbolt read at
// one moment with the layers read later is the store's state at that later
// moment, if gen did not move in between; else the read is retried. No
// bbolt call is made while holding mu (a bbolt remap waits for readers).
const (
	flushAt         = 4096     // changes in the active layer that start the indexer
	flushAtBytes    = 16 << 20 // or bytes of log records
	maxOverlay      = 16384    // changes in the active layer beyond which writers wait
	maxOverlayBytes = 32 << 20
	flushIdle       = time.Second // the indexer also runs this often when there is anything
	flushChunk      = 512         // changes per bbolt transaction (see commitLayer)
)

var bucketMeta = []byte("meta") // "watermark" -> uint64, see above

var keyWatermark = []byte("watermark")

// layer is a set of changes not yet in bbolt.
type layer struct {
	manifests map[string]map[digest.Digest]mstate
	tags      map[string]map[string]digest.Digest // "" marks a deleted tag
	referrers map[string]map[refKey]bool          // false marks a deleted referrer
	repos     map[string]struct{}
	size      int   // changes applied (not distinct keys): bounds the replay too
	bytes     int64 // log bytes of the records applied
}

type mstate struct {
	v    manifestValue
	dead bool
}

type refKey struct{ subject, dg digest.Digest }

func newLayer() *layer {
	return &layer{
		manifests: map[string]map[digest.Digest]mstate{},
		tags:      map[string]map[string]digest.Digest{},
		referrers: map[string]map[refKey]bool{},
		repos:     map[string]struct{}{},
	}
}

func (l *layer) full() bool   { return l.size >= maxOverlay || l.bytes >= maxOverlayBytes }
func (l *layer) ripe() bool   { return l.size >= flushAt || l.bytes >= flushAtBytes }
func (l *layer) empty() bool  { return l.size == 0 }
func (l *layer) count(n int)  { l.size += max(n, 1) }
func (l *layer) grew(n int64) { l.bytes += n }

func (l *layer) setManifest(repo string, dg digest.Digest, s mstate) {
	m := l.manifests[repo]
	if m == nil {
		m = map[digest.Digest]mstate{}
		l.manifests[repo] = m
	}
	m[dg] = s
}

func (l *layer) setTags(repo string, tags []string, dg digest.Digest) {
	if len(tags) == 0 {
		return
	}
	m := l.tags[repo]
	if m == nil {
		m = map[string]digest.Digest{}
		l.tags[repo] = m
	}
	for _, t := range tags {
		m[t] = dg
	}
}

func (l *layer) setReferrer(repo string, k refKey, alive bool) {
	m := l.referrers[repo]
	if m == nil {
		m = map[refKey]bool{}
		l.referrers[repo] = m
	}
	m[k] = alive
}

// apply applies o (its manifest offset final) to l.
func (l *layer) apply(o *op) {
	switch o.kind {
	case recPut:
		l.setManifest(o.repo, o.dg, mstate{v: o.v})
		if o.v.subject != "" {
			l.setReferrer(o.repo, refKey{o.v.subject, o.dg}, true)
		}
		l.repos[o.repo] = struct{}{}
		l.setTags(o.repo, o.tags, o.dg)
		l.count(1 + len(o.tags))
	case recTags:
		l.setTags(o.repo, o.tags, o.dg)
		l.count(len(o.tags))
	case recTagDel:
		l.setTags(o.repo, []string{o.tag}, "")
		l.count(1)
	case recDel:
		l.setManifest(o.repo, o.dg, mstate{dead: true})
		if o.subject != "" {
			l.setReferrer(o.repo, refKey{o.subject, o.dg}, false)
		}
		l.setTags(o.repo, o.tags, "")
		l.count(1 + len(o.tags))
	}
}

// layers are the overlay's layers, newest first; callers hold mu.
func (ix *index) layers() []*layer {
	if ix.frozen == nil {
		return []*layer{ix.active}
	}
	return []*layer{ix.active, ix.frozen}
}

func (ix *index) layerManifest(repo string, dg digest.Digest) (mstate, bool) {
	for _, l := range ix.layers() {
		if s, ok := l.manifests[repo][dg]; ok {
			return s, true
		}
	}
	return mstate{}, false
}

func (ix *index) layerTag(repo, tag string) (digest.Digest, bool) {
	for _, l := range ix.layers() {
		if dg, ok := l.tags[repo][tag]; ok {
			return dg, true
		}
	}
	return "", false
}

func (ix *index) layerHolds(repo string) bool {
	for _, l := range ix.layers() {
		if _, ok := l.repos[repo]; ok {
			return true
		}
	}
	return false
}

// over is an overlay entry in a merged listing: the rest of its bbolt key
// after the listing's prefix, and its value (nil with dead).
type over struct {
	key  string
	val  []byte
	dead bool
}

func sortOver(ov []over) []over {
	slices.SortFunc(ov, func(a, b over) int { return strings.Compare(a.key, b.key) })
	return ov
}

// layerTags is repo's tags in the overlay, newest change winning, sorted.
func (ix *index) layerTags(repo string) []over {
	seen := map[string]bool{}
	var ov []over
	for _, l := range ix.layers() {
		for t, dg := range l.tags[repo] {
			if !seen[t] {
				seen[t] = true
				ov = append(ov, over{key: t, val: []byte(dg), dead: dg == ""})
			}
		}
	}
	return sortOver(ov)
}

// mergePrefix calls fn for the keys of b under p merged with ov (sorted,
// keys without p): an overlay entry replaces bbolt's, a dead one hides it.
func mergePrefix(b *bolt.Bucket, p []byte, ov []over, fn func(rest string, val []byte) error) error {
	i := 0
	c := b.Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		rest := string(k[len(p):])
		for ; i < len(ov) && ov[i].key < rest; i++ {
			if !ov[i].dead {
				if err := fn(ov[i].key, ov[i].val); err != nil {
					return err
				}
			}
		}
		if i < len(ov) && ov[i].key == rest {
			if !ov[i].dead {
				if err := fn(ov[i].key, ov[i].val); err != nil {
					return err
				}
			}
			i++
			continue
		}
		if err := fn(rest, v); err != nil {
			return err
		}
	}
	for ; i < len(ov); i++ {
		if !ov[i].dead {
			if err := fn(ov[i].key, ov[i].val); err != nil {
				return err
			}
		}
	}
	return nil
}

// view runs fn with a bbolt read transaction after take (under mu, reading
// the overlay), again until no layer left memory in between; see the
// comment at the top.
func (ix *index) view(take func(), fn func(tx *bolt.Tx) error) error {
	for {
		gen := ix.gen.Load()
		tx, err := ix.db.Begin(false)
		if err != nil {
			return err
		}
		ix.mu.RLock()
		ok := ix.gen.Load() == gen
		if ok {
			take()
		}
		ix.mu.RUnlock()
		if ok {
			err = fn(tx)
			return errors.Join(err, tx.Rollback())
		}
		tx.Rollback()
	}
}

// kickIndexer asks the indexer for a flush; callers hold mu.
func (ix *index) kickIndexer() {
	select {
	case ix.kick <- struct{}{}:
	default:
	}
}

// indexer moves the overlay into bbolt when it is ripe, and every
// flushIdle when it holds anything.
func (ix *index) indexer() {
	defer close(ix.indexerDone)
	t := time.NewTicker(flushIdle)
	defer t.Stop()
	for {
		select {
		case <-ix.kick:
		case <-t.C:
		case <-ix.stopIndexer:
			return
		}
		for {
			if err := ix.flush(); err != nil {
				// Retried at the next kick or tick; writers see the error
				// once the overlay is full.
				slog.Error("filesystem: moving the overlay into the index", "err", err)
				break
			}
			ix.mu.RLock()
			again := ix.active.ripe()
			ix.mu.RUnlock()
			if !again {
				break
			}
		}
	}
}

// flush moves the overlay's oldest layer into bbolt: the frozen one left
// by a failed flush, else the active one, frozen for it.
func (ix *index) flush() error {
	ix.flushMu.Lock()
	defer ix.flushMu.Unlock()
	ix.mu.Lock()
	if ix.frozen == nil {
		if ix.active.empty() {
			ix.mu.Unlock()
			return nil
		}
		ix.frozen, ix.frozenAt, ix.active = ix.active, ix.logSize, newLayer()
		ix.room.Broadcast()
	}
	fr, at := ix.frozen, ix.frozenAt
	ix.mu.Unlock()

	err := ix.commitLayer(fr, at)
	ix.mu.Lock()
	ix.flushErr = err
	if err == nil {
		ix.frozen = nil
		ix.gen.Add(1)
	}
	ix.room.Broadcast()
	ix.mu.Unlock()
	return err
}

// write is one key's change in a bucket, for commitLayer.
type write struct {
	bucket   []byte
	k, v     []byte
	del      bool
	skipSame bool // look first: a Put dirties a page even when the value is there
}

// commitLayer writes l into bbolt, each bucket's keys in order (inserts in
// order share the pages they land on), in transactions of flushChunk
// changes, and the watermark with the last. Between transactions the
// index pages they faulted in are dropped from the resident set (see
// dropResident): with random digests as keys, a large transaction touches
// pages all over the file. A crash between them leaves the watermark
// where it was: the replay then applies the whole layer again in the
// overlay, over what bbolt already has.
func (ix *index) commitLayer(l *layer, watermark int64) error {
	var ws []write
	add := func(bucket []byte, from int, skipSame bool) {
		part := ws[from:]
		slices.SortFunc(part, func(a, b write) int { return bytes.Compare(a.k, b.k) })
		for i := range part {
			part[i].bucket, part[i].skipSame = bucket, skipSame
		}
	}
	from := len(ws)
	for repo, m := range l.manifests {
		for dg, s := range m {
			w := write{k: key(repo, string(dg)), del: s.dead}
			if !s.dead {
				w.v = s.v.encode()
			}
			ws = append(ws, w)
		}
	}
	add(bucketManifests, from, false)
	from = len(ws)
	for repo, m := range l.tags {
		for t, dg := range m {
			// Not looked up: a tag rarely changes to what it was, and a
			// Get costs a seek as the Put does.
			ws = append(ws, write{k: key(repo, t), v: []byte(dg), del: dg == ""})
		}
	}
	add(bucketTags, from, false)
	from = len(ws)
	for repo, m := range l.referrers {
		for r, alive := range m {
			ws = append(ws, write{k: key(repo, string(r.subject), string(r.dg)), v: []byte{}, del: !alive})
		}
	}
	add(bucketReferrers, from, false)
	from = len(ws)
	for repo := range l.repos {
		ws = append(ws, write{k: []byte(repo), v: []byte{}}) // mostly there already
	}
	add(bucketRepos, from, true)

	for start := 0; ; start += flushChunk {
		end := min(start+flushChunk, len(ws))
		err := ix.db.Update(func(tx *bolt.Tx) error {
			for _, w := range ws[start:end] {
				b := tx.Bucket(w.bucket)
				var err error
				switch {
				case w.del:
					err = b.Delete(w.k)
				case !w.skipSame:
					err = b.Put(w.k, w.v)
				default:
					if got := b.Get(w.k); got == nil || !bytes.Equal(got, w.v) {
						err = b.Put(w.k, w.v)
					}
				}
				if err != nil {
					return err
				}
			}
			if end < len(ws) {
				return nil
			}
			return tx.Bucket(bucketMeta).Put(keyWatermark, binary.BigEndian.AppendUint64(nil, uint64(watermark)))
		})
		if err != nil {
			return err
		}
		ix.dropResident()
		if end == len(ws) {
			return nil
		}
	}
}

// readWatermark is the log offset up to which bbolt holds everything;
// ok is false for an index written before the journal format.
func readWatermark(tx *bolt.Tx) (int64, bool) {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0, false
	}
	v := b.Get(keyWatermark)
	if len(v) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v)), true
}
