package filesystem

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/hookbench/hookbench/registry/storage"
)

// The manifest store keeps memory flat in what is stored: manifest content
// is appended to one log file (read back with pread), and what finds it
// (digests, tags, referrers) lives in a bbolt file, not on the heap.
//
//	index.db        bbolt: the buckets below
//	manifests.log   every change, with the metadata and content of every manifest, appended
//
// The log is the journal of every change (see oplog.go); the bbolt index
// is built behind it, from an in-memory overlay of the latest changes
// (see overlay.go). A write is one pwrite of its record and an overlay
// update: the index never points at bytes that are not written, and a
// crash loses nothing the log holds.
var (
	bucketManifests = []byte("manifests") // repo \0 digest -> value (see manifestValue)
	bucketTags      = []byte("tags")      // repo \0 tag -> digest
	bucketReferrers = []byte("referrers") // repo \0 subject \0 digest -> nothing
	bucketRepos     = []byte("repos")     // repo -> nothing (has held a manifest)
)

func key(parts ...string) []byte { return []byte(strings.Join(parts, "\x00")) }

// manifestValue is a manifest's index entry: where its record is in the
// log, and enough of its descriptor to answer without reading the record's
// metadata (which only holds what the common case lacks: annotations,
// URLs, platform, data).
type manifestValue struct {
	off          int64
	meta, n      uint32 // record: meta bytes of JSON metadata, then n bytes of content
	onDisk       bool   // the descriptor needs the record's metadata
	mediaType    string
	artifactType string
	subject      digest.Digest
}

func (v manifestValue) encode() []byte {
	b := make([]byte, 0, 21+len(v.mediaType)+len(v.artifactType)+len(v.subject)+3)
	b = binary.BigEndian.AppendUint64(b, uint64(v.off))
	b = binary.BigEndian.AppendUint32(b, v.meta)
	b = binary.BigEndian.AppendUint32(b, v.n)
	flags := byte(0)
	if v.onDisk {
		flags = 1
	}
	b = append(b, flags)
	for _, s := range []string{v.mediaType, v.artifactType, string(v.subject)} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func decodeManifestValue(b []byte) (manifestValue, error) {
	var v manifestValue
	if len(b) < 17 {
		return v, errors.New("filesystem: short index entry")
	}
	v.off = int64(binary.BigEndian.Uint64(b))
	v.meta = binary.BigEndian.Uint32(b[8:])
	v.n = binary.BigEndian.Uint32(b[12:])
	v.onDisk = b[16] == 1
	b = b[17:]
	var strs [3]string
	for i := range strs {
		l, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < l {
			return v, errors.New("filesystem: corrupt index entry")
		}
		strs[i] = string(b[k : k+int(l)])
		b = b[k+int(l):]
	}
	v.mediaType, v.artifactType, v.subject = strs[0], strs[1], digest.Digest(strs[2])
	return v, nil
}

func (v manifestValue) plain(dg digest.Digest) v1.Descriptor {
	return v1.Descriptor{MediaType: v.mediaType, Digest: dg, Size: int64(v.n), ArtifactType: v.artifactType}
}

// recordMeta is a record's metadata in the log.
type recordMeta struct {
	Repository string         `json:"repository"`
	Descriptor *v1.Descriptor `json:"descriptor"`
	Subject    digest.Digest  `json:"subject,omitempty"`
}

// index is the manifest store of one root.
type index struct {
	db  *bolt.DB
	log *os.File
	ro  bool
	crc *crc32.Table

	// mu guards the overlay and the log's end; writes append and apply
	// under it, so the log's order is the order of the changes.
	mu       sync.RWMutex
	room     *sync.Cond // on mu: the active layer has room again, or a flush ended
	active   *layer
	frozen   *layer // being moved into bbolt by flush; nil when none
	frozenAt int64  // the log offset up to which frozen and bbolt hold everything
	logSize  int64
	flushErr error // of the last flush
	closed   bool
	gen      atomic.Uint64 // layers moved into bbolt and dropped (see overlay.go)

	flushMu     sync.Mutex // one flush at a time
	kick        chan struct{}
	stopIndexer chan struct{} // nil for a read-only index
	indexerDone chan struct{}

	stopDrops chan struct{} // ends dropLoop
	dropsDone chan struct{}
	dropNow   chan struct{} // asks dropLoop for a drop
	sinceDrop atomic.Int64  // lookups and writes since the last drop
}

// openIndex opens (creating unless readOnly) the store under root. A
// read-only index takes bbolt's shared lock, so several read-only users
// (a read-only registry and garbage-collect --dry-run) may share a root,
// while a writer has it alone. Log records past the index's watermark are
// replayed into the overlay (a read-only index keeps them there).
func openIndex(root string, readOnly bool) (*index, error) {
	path := filepath.Join(root, "index.db")
	_, statErr := os.Stat(path)
	fresh := errors.Is(statErr, fs.ErrNotExist)
	if readOnly && fresh {
		// Create it (importing journals of an older store) and reopen.
		ix, err := openIndex(root, false)
		if err != nil {
			return nil, err
		}
		if err := ix.close(); err != nil {
			return nil, err
		}
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{
		Timeout:      500 * time.Millisecond,
		ReadOnly:     readOnly,
		NoSync:       true, // like blobs: durable across a process crash, not a power cut
		NoGrowSync:   true,
		FreelistType: bolt.FreelistMapType,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("filesystem: %s is in use by another process (a running registry?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("filesystem: opening %s: %w", path, err)
	}
	flags := os.O_RDWR | os.O_CREATE
	if readOnly {
		flags = os.O_RDONLY
	}
	log, err := os.OpenFile(filepath.Join(root, "manifests.log"), flags, 0o644)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("filesystem: %w", err)
	}
	ix := &index{db: db, log: log, ro: readOnly, crc: crc32.MakeTable(crc32.Castagnoli),
		active: newLayer(), kick: make(chan struct{}, 1)}
	ix.room = sync.NewCond(&ix.mu)
	if err := ix.load(fresh); err != nil {
		db.Close()
		log.Close()
		return nil, fmt.Errorf("filesystem: %w", err)
	}
	ix.stopDrops, ix.dropsDone, ix.dropNow = make(chan struct{}), make(chan struct{}), make(chan struct{}, 1)
	go ix.dropLoop()
	if !readOnly {
		ix.stopIndexer, ix.indexerDone = make(chan struct{}), make(chan struct{})
		go ix.indexer()
		if fresh {
			if err := ix.importJournals(root); err != nil {
				ix.close()
				return nil, fmt.Errorf("filesystem: %w", err)
			}
		}
		if !ix.active.empty() {
			ix.kickIndexer()
		}
	}
	return ix, nil
}

// load reads the watermark (creating the buckets of a writable index) and
// replays the log past it; a torn record at the end is cut off.
func (ix *index) load(fresh bool) error {
	fi, err := ix.log.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	var watermark int64
	var ok bool
	if ix.ro {
		err = ix.db.View(func(tx *bolt.Tx) error {
			watermark, ok = readWatermark(tx)
			return nil
		})
	} else {
		err = ix.db.Update(func(tx *bolt.Tx) error {
			for _, b := range [][]byte{bucketManifests, bucketTags, bucketReferrers, bucketRepos, bucketMeta} {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			if watermark, ok = readWatermark(tx); ok {
				return nil
			}
			// A new index, or one written before the log was a journal:
			// bbolt holds all there is in the log (bytes of an older
			// format are not to be parsed).
			watermark = size
			return tx.Bucket(bucketMeta).Put(keyWatermark, binary.BigEndian.AppendUint64(nil, uint64(size)))
		})
	}
	if err != nil {
		return err
	}
	if !ok {
		watermark = size
	}
	if watermark > size {
		return fmt.Errorf("manifests.log has %d bytes, the index holds records up to %d: the log was cut or replaced", size, watermark)
	}
	end, err := scanLog(ix.log, watermark, size, ix.crc, func(o *op, start, end int64) error {
		ix.active.apply(o)
		ix.active.grew(end - start)
		ix.logSize = end
		if !ix.ro && ix.active.full() {
			return ix.flush() // only after a crash under a burst of writes
		}
		return nil
	})
	if err != nil {
		return err
	}
	ix.logSize = end
	if end < size && !ix.ro {
		if err := ix.log.Truncate(end); err != nil {
			return err
		}
	}
	return nil
}

// close moves the overlay into bbolt and closes the files.
func (ix *index) close() error { return ix.shut(true) }

// shut closes the index, moving the overlay into bbolt first when flush.
func (ix *index) shut(flush bool) error {
	ix.mu.Lock()
	if ix.closed {
		ix.mu.Unlock()
		return nil
	}
	ix.closed = true
	ix.room.Broadcast()
	ix.mu.Unlock()
	var err error
	if ix.stopIndexer != nil {
		close(ix.stopIndexer)
		<-ix.indexerDone
		// Twice: a frozen layer left by a failed flush, then the active one.
		for i := 0; flush && i < 2 && err == nil; i++ {
			err = ix.flush()
		}
	}
	close(ix.stopDrops)
	<-ix.dropsDone
	return errors.Join(err, ix.db.Close(), ix.log.Close())
}

var (
	errReadOnly = errors.New("filesystem: the store is open read-only")
	errClosed   = errors.New("filesystem: driver closed")
)

// waitRoom waits (under mu) until the active layer has room.
func (ix *index) waitRoom() error {
	for {
		if ix.closed {
			return errClosed
		}
		if !ix.active.full() {
			return nil
		}
		ix.kickIndexer()
		if ix.frozen != nil && ix.flushErr != nil {
			return fmt.Errorf("filesystem: the index is behind and cannot be updated: %w", ix.flushErr)
		}
		ix.room.Wait()
	}
}

// appendOp writes o's record rec at the log's end and applies o to the
// overlay; under mu. A failed write changes nothing (what it may have
// written is overwritten by the next record, or cut off at open).
func (ix *index) appendOp(o *op, rec []byte) error {
	off := ix.logSize
	if _, err := ix.log.WriteAt(rec, off); err != nil {
		return fmt.Errorf("filesystem: writing manifests.log: %w", err)
	}
	ix.logSize += int64(len(rec))
	if o.kind == recPut {
		o.v.off += off
	}
	ix.active.apply(o)
	ix.active.grew(int64(len(rec)))
	if ix.frozen == nil && ix.active.ripe() {
		ix.kickIndexer()
	}
	return nil
}

// put stores m in repo (unless stored already) and points tags at it.
func (ix *index) put(repo string, m storage.Manifest, tags []string) error {
	if ix.ro {
		return errReadOnly
	}
	o, err := newPutOp(repo, m, tags)
	if err != nil {
		return err
	}
	rec := o.frame(ix.crc)
	dg := m.Descriptor.Digest
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.waitRoom(); err != nil {
		return err
	}
	// Only the overlay is asked whether the manifest is there: asking
	// bbolt too cost a sixth of a PUT's index work, to spare the log a
	// copy of a manifest pushed again after the indexer took it (its
	// entry then points at the newer copy; both hold the same bytes).
	if s, ok := ix.layerManifest(repo, dg); ok && !s.dead {
		if len(tags) == 0 {
			return nil
		}
		o = &op{kind: recTags, repo: repo, dg: dg, tags: tags}
		rec = o.frame(ix.crc)
	}
	return ix.appendOp(o, rec)
}

func (ix *index) dbManifest(repo string, dg digest.Digest) (manifestValue, bool, error) {
	ix.touched(1)
	var v manifestValue
	var ok bool
	err := ix.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketManifests).Get(key(repo, string(dg)))
		if b == nil {
			return nil
		}
		ok = true
		var err error
		v, err = decodeManifestValue(b)
		return err
	})
	return v, ok, err
}

func (ix *index) dbTag(repo, tag string) (digest.Digest, bool, error) {
	ix.touched(1)
	var dg digest.Digest
	err := ix.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketTags).Get(key(repo, tag)); b != nil {
			dg = digest.Digest(b)
		}
		return nil
	})
	return dg, dg != "", err
}

func (ix *index) lookup(repo string, dg digest.Digest) (manifestValue, bool, error) {
	ix.mu.RLock()
	s, ok := ix.layerManifest(repo, dg)
	ix.mu.RUnlock()
	if ok {
		return s.v, !s.dead, nil
	}
	return ix.dbManifest(repo, dg)
}

func (ix *index) get(repo string, dg digest.Digest) (storage.Manifest, error) {
	v, ok, err := ix.lookup(repo, dg)
	if err != nil || !ok {
		return storage.Manifest{}, errors.Join(err, storage.ErrManifestUnknown)
	}
	if v.onDisk {
		return ix.readRecord(dg, v)
	}
	m := storage.Manifest{Descriptor: v.plain(dg), Subject: v.subject, Content: make([]byte, v.n)}
	if _, err := ix.log.ReadAt(m.Content, v.off); err != nil {
		return storage.Manifest{}, fmt.Errorf("filesystem: reading manifest %s: %w", dg, err)
	}
	return m, nil
}

// readRecord reads a record's metadata and content with one read.
func (ix *index) readRecord(dg digest.Digest, v manifestValue) (storage.Manifest, error) {
	buf := make([]byte, int(v.meta)+int(v.n))
	if _, err := ix.log.ReadAt(buf, v.off-int64(v.meta)); err != nil {
		return storage.Manifest{}, fmt.Errorf("filesystem: reading manifest %s: %w", dg, err)
	}
	var rec recordMeta
	if err := json.Unmarshal(buf[:v.meta], &rec); err != nil || rec.Descriptor == nil {
		return storage.Manifest{}, fmt.Errorf("filesystem: manifest %s: unreadable record metadata", dg)
	}
	return storage.Manifest{Descriptor: *rec.Descriptor, Subject: v.subject, Content: buf[v.meta:]}, nil
}

func (ix *index) descriptor(dg digest.Digest, v manifestValue) (v1.Descriptor, error) {
	if !v.onDisk {
		return v.plain(dg), nil
	}
	m, err := ix.readRecord(dg, v)
	return m.Descriptor, err
}

// prefix iterates the keys of b that start with p, passing the rest of each.
func prefix(b *bolt.Bucket, p []byte, fn func(rest, val []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if err := fn(k[len(p):], v); err != nil {
			return err
		}
	}
	return nil
}

func (ix *index) deleteManifest(repo string, dg digest.Digest) ([]string, error) {
	if ix.ro {
		return nil, errReadOnly
	}
	for {
		gen := ix.gen.Load()
		v, inDB, err := ix.dbManifest(repo, dg)
		if err != nil {
			return nil, err
		}
		// The repository's tags are scanned, as Distribution does: a
		// reverse index would cost two more writes on every tag push.
		var dbTags []string
		if err := ix.db.View(func(tx *bolt.Tx) error {
			return prefix(tx.Bucket(bucketTags), key(repo, ""), func(rest, val []byte) error {
				if string(val) == string(dg) {
					dbTags = append(dbTags, string(rest))
				}
				return nil
			})
		}); err != nil {
			return nil, err
		}
		ix.mu.Lock()
		if err := ix.waitRoom(); err != nil {
			ix.mu.Unlock()
			return nil, err
		}
		if ix.gen.Load() != gen {
			ix.mu.Unlock()
			continue
		}
		if s, ok := ix.layerManifest(repo, dg); ok {
			v, inDB = s.v, !s.dead
		}
		if !inDB {
			ix.mu.Unlock()
			return nil, storage.ErrManifestUnknown
		}
		var tags []string
		for _, t := range dbTags {
			if _, ok := ix.layerTag(repo, t); !ok {
				tags = append(tags, t)
			}
		}
		for _, e := range ix.layerTags(repo) {
			if string(e.val) == string(dg) {
				tags = append(tags, e.key)
			}
		}
		slices.Sort(tags)
		o := &op{kind: recDel, repo: repo, dg: dg, subject: v.subject, tags: tags}
		err = ix.appendOp(o, o.frame(ix.crc))
		ix.mu.Unlock()
		return tags, err
	}
}

func (ix *index) resolve(repo, tag string) (digest.Digest, error) {
	ix.mu.RLock()
	dg, ok := ix.layerTag(repo, tag)
	ix.mu.RUnlock()
	if !ok {
		var err error
		if dg, _, err = ix.dbTag(repo, tag); err != nil {
			return "", err
		}
	}
	if dg == "" {
		return "", storage.ErrTagUnknown
	}
	return dg, nil
}

func (ix *index) deleteTag(repo, tag string) (digest.Digest, error) {
	if ix.ro {
		return "", errReadOnly
	}
	for {
		gen := ix.gen.Load()
		dg, _, err := ix.dbTag(repo, tag)
		if err != nil {
			return "", err
		}
		ix.mu.Lock()
		if err := ix.waitRoom(); err != nil {
			ix.mu.Unlock()
			return "", err
		}
		ldg, inLayer := ix.layerTag(repo, tag)
		if !inLayer && ix.gen.Load() != gen {
			ix.mu.Unlock()
			continue
		}
		if inLayer {
			dg = ldg
		}
		if dg == "" {
			ix.mu.Unlock()
			return "", storage.ErrTagUnknown
		}
		o := &op{kind: recTagDel, repo: repo, tag: tag}
		err = ix.appendOp(o, o.frame(ix.crc))
		ix.mu.Unlock()
		return dg, err
	}
}

// tagList is repo's tags in lexical order (bbolt keeps keys sorted).
func (ix *index) tagList(repo string) ([]string, error) {
	ix.touched(1)
	tags := []string{}
	var ov []over
	err := ix.view(func() { ov = ix.layerTags(repo) }, func(tx *bolt.Tx) error {
		return mergePrefix(tx.Bucket(bucketTags), key(repo, ""), ov, func(rest string, _ []byte) error {
			tags = append(tags, rest)
			return nil
		})
	})
	return tags, err
}

func (ix *index) referrersOf(repo string, subject digest.Digest) ([]v1.Descriptor, error) {
	ix.touched(1)
	out := []v1.Descriptor{}
	// The overlay's referrers of subject, with their manifest's entry when
	// the overlay has it (else bbolt's is read).
	var ov []over
	take := func() {
		seen := map[digest.Digest]bool{}
		for _, l := range ix.layers() {
			for k, alive := range l.referrers[repo] {
				if k.subject != subject || seen[k.dg] {
					continue
				}
				seen[k.dg] = true
				e := over{key: string(k.dg), dead: !alive}
				if s, ok := ix.layerManifest(repo, k.dg); ok && alive && !s.dead {
					e.val = s.v.encode()
				}
				ov = append(ov, e)
			}
		}
		sortOver(ov)
	}
	err := ix.view(take, func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketManifests)
		return mergePrefix(tx.Bucket(bucketReferrers), key(repo, string(subject), ""), ov, func(rest string, raw []byte) error {
			dg := digest.Digest(rest)
			if len(raw) == 0 {
				if raw = mb.Get(key(repo, rest)); raw == nil {
					return nil
				}
			}
			v, err := decodeManifestValue(raw)
			if err != nil {
				return err
			}
			desc, err := ix.descriptor(dg, v)
			if err != nil {
				return err
			}
			out = append(out, desc)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b v1.Descriptor) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	return out, err
}

func (ix *index) holds(repo string) bool {
	ix.mu.RLock()
	ok := ix.layerHolds(repo)
	ix.mu.RUnlock()
	if ok {
		return true
	}
	ix.touched(1)
	ix.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketRepos).Get([]byte(repo)) != nil
		return nil
	})
	return ok
}

// repositories lists the repositories that have held a manifest, sorted.
func (ix *index) repositories() ([]string, error) {
	var out []string
	var ov []over
	take := func() {
		seen := map[string]bool{}
		for _, l := range ix.layers() {
			for r := range l.repos {
				if !seen[r] {
					seen[r] = true
					ov = append(ov, over{key: r})
				}
			}
		}
		sortOver(ov)
	}
	err := ix.view(take, func(tx *bolt.Tx) error {
		return mergePrefix(tx.Bucket(bucketRepos), nil, ov, func(rest string, _ []byte) error {
			out = append(out, rest)
			return nil
		})
	})
	return out, err
}

// walk calls fn for every stored manifest with its tags, repository by
// repository (keys sort by repository, so one repository's tags are in
// memory at a time). fn must not use the index: the walk holds a bbolt
// read transaction, which a commit growing the file waits for, and a
// second one would wait for that commit.
func (ix *index) walk(fn func(repo string, m storage.Manifest, tags []string) error) error {
	var mov []over                // the overlay's manifests, keyed repo \0 digest
	tagsOv := map[string][]over{} // and tags, by repository
	take := func() {
		seen := map[string]bool{}
		for _, l := range ix.layers() {
			for repo, m := range l.manifests {
				for dg, s := range m {
					k := repo + "\x00" + string(dg)
					if seen[k] {
						continue
					}
					seen[k] = true
					e := over{key: k, dead: s.dead}
					if !s.dead {
						e.val = s.v.encode()
					}
					mov = append(mov, e)
				}
			}
			for repo := range l.tags {
				if _, ok := tagsOv[repo]; !ok {
					tagsOv[repo] = ix.layerTags(repo)
				}
			}
		}
		sortOver(mov)
	}
	return ix.view(take, func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTags)
		current := ""
		var tagsOf map[string][]string
		return mergePrefix(tx.Bucket(bucketManifests), nil, mov, func(k string, raw []byte) error {
			repo, dgs, ok := strings.Cut(k, "\x00")
			if !ok {
				return fmt.Errorf("filesystem: corrupt index key %q", k)
			}
			if tagsOf == nil || repo != current {
				current, tagsOf = repo, map[string][]string{}
				if err := mergePrefix(tb, key(repo, ""), tagsOv[repo], func(rest string, val []byte) error {
					tagsOf[string(val)] = append(tagsOf[string(val)], rest)
					return nil
				}); err != nil {
					return err
				}
			}
			dg := digest.Digest(dgs)
			v, err := decodeManifestValue(raw)
			if err != nil {
				return err
			}
			m, err := ix.readRecord(dg, v)
			if err != nil {
				return err
			}
			return fn(repo, m, tagsOf[dgs])
		})
	})
}

// dropResident unmaps the index's pages from this process's resident set.
// Lookups read the index through bbolt's mmap, so every page they touched
// would count in VmRSS, growing with what is stored, although the kernel
// keeps those pages as page cache either way; dropping the mapping costs a
// minor fault on the next touch. The read transaction keeps bbolt from
// remapping meanwhile.
func (ix *index) dropResident() {
	_ = ix.db.View(func(tx *bolt.Tx) error {
		size := tx.Size()
		if size <= 0 {
			return nil
		}
		// A raw syscall: the mapping's address is only known as a uintptr.
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, ix.db.Info().Data, uintptr(size), unix.MADV_DONTNEED)
		if errno != 0 {
			return errno
		}
		return nil
	})
}

// touched counts n lookups or writes, each of which faults a few index
// pages in (and the kernel maps up to 16 neighbours of each: fault-around),
// and asks for a drop every dropEvery of them.
func (ix *index) touched(n int) {
	if ix.sinceDrop.Add(int64(n)) >= dropEvery {
		ix.sinceDrop.Store(0)
		select {
		case ix.dropNow <- struct{}{}:
		default:
		}
	}
}

// dropLoop drops resident index pages when asked, and every dropInterval.
func (ix *index) dropLoop() {
	defer close(ix.dropsDone)
	t := time.NewTicker(dropInterval)
	defer t.Stop()
	for {
		select {
		case <-ix.dropNow:
		case <-t.C:
		case <-ix.stopDrops:
			return
		}
		ix.dropResident()
	}
}

// dropEvery is how many lookups or writes pass between drops of resident
// index pages (a few MiB; a drop costs about 0.1 ms).
const (
	dropEvery    = 128
	dropInterval = time.Second
)

// importJournals moves the manifests and tags of a store written before
// the index existed (one journal per repository) into a fresh index, as
// puts (the indexer running).
func (ix *index) importJournals(root string) error {
	base := filepath.Join(root, "repositories")
	return filepath.WalkDir(base, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.IsDir() || e.Name() != "journal" || filepath.Base(filepath.Dir(path)) != "_manifests" {
			return nil
		}
		rel, err := filepath.Rel(base, filepath.Dir(filepath.Dir(path)))
		if err != nil {
			return err
		}
		repo := filepath.ToSlash(rel)
		j, err := openJournal(path)
		if err != nil {
			return err
		}
		defer j.close()
		byDigest := map[id][]string{}
		for t, k := range j.tags {
			byDigest[k] = append(byDigest[k], t)
		}
		for k, e := range j.manifests {
			dg := j.digestOf(k)
			desc, err := j.descriptor(dg, e)
			if err != nil {
				return err
			}
			content := make([]byte, e.n)
			if _, err := j.f.ReadAt(content, e.off); err != nil {
				return err
			}
			m := storage.Manifest{Descriptor: desc, Subject: j.subjects[k], Content: content}
			if err := ix.put(repo, m, byDigest[k]); err != nil {
				return err
			}
		}
		return nil
	})
}
