package filesystem

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
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
//	manifests.log   metadata and content of every manifest, appended
//
// A put appends to the log first, then commits the index, so the index
// never points at bytes that are not written; a crash in between leaves
// unreferenced bytes at the end of the log, never a wrong answer. Writes
// from concurrent requests are committed together (see group), since one
// bbolt commit costs about as much as a request should.
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

	logSize int64 // written only before the writer starts, then by it

	g *group

	stopDrops chan struct{} // ends dropLoop
	dropsDone chan struct{}
	dropNow   chan struct{} // asks dropLoop for a drop
	sinceDrop atomic.Int64  // lookups and writes since the last drop
}

// openIndex opens (creating unless readOnly) the store under root. A
// read-only index takes bbolt's shared lock, so several read-only users
// (a read-only registry and garbage-collect --dry-run) may share a root,
// while a writer has it alone.
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
	fi, err := log.Stat()
	if err != nil {
		db.Close()
		log.Close()
		return nil, err
	}
	ix := &index{db: db, log: log, ro: readOnly, logSize: fi.Size()}
	if !readOnly {
		err = db.Update(func(tx *bolt.Tx) error {
			for _, b := range [][]byte{bucketManifests, bucketTags, bucketReferrers, bucketRepos} {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil && fresh {
			err = ix.importJournals(root)
		}
		if err != nil {
			ix.close()
			return nil, fmt.Errorf("filesystem: %w", err)
		}
		ix.g = newGroup(ix)
	}
	ix.stopDrops, ix.dropsDone, ix.dropNow = make(chan struct{}), make(chan struct{}), make(chan struct{}, 1)
	go ix.dropLoop()
	return ix, nil
}

func (ix *index) close() error {
	if ix.g != nil {
		ix.g.stop()
	}
	if ix.stopDrops != nil {
		close(ix.stopDrops)
		<-ix.dropsDone
		ix.stopDrops = nil
	}
	return errors.Join(ix.db.Close(), ix.log.Close())
}

var errReadOnly = errors.New("filesystem: the store is open read-only")

// appendRecord writes a record to the log and returns its offset; only
// before the writer starts (import) or from the writer.
func (ix *index) appendRecord(rec []byte) (int64, error) {
	off := ix.logSize
	if _, err := ix.log.WriteAt(rec, off); err != nil {
		return 0, err
	}
	ix.logSize += int64(len(rec))
	return off, nil
}

// batchLog gathers the records of one transaction, written to the log in
// one write before the transaction commits, so the index never points at
// bytes that are not written. What a failed write or commit leaves at the
// end of the log is never referenced.
type batchLog struct {
	ix  *index
	buf []byte
}

// add queues a record and returns the offset it will have.
func (l *batchLog) add(rec []byte) int64 {
	off := l.ix.logSize + int64(len(l.buf))
	l.buf = append(l.buf, rec...)
	return off
}

func (l *batchLog) flush() error {
	if len(l.buf) == 0 {
		return nil
	}
	_, err := l.ix.appendRecord(l.buf)
	return err
}

// hard marks an error that leaves a transaction half written (bbolt's own
// failures): the batch is then rolled back and each op retried alone.
// Other errors of an op (manifest unknown...) come before it writes.
type hard struct{ error }

func must(err error) error {
	if err != nil {
		return hard{err}
	}
	return nil
}

// put stores m in repo (unless stored already) and points tags at it.
func (ix *index) put(repo string, m storage.Manifest, tags []string) error {
	if ix.ro {
		return errReadOnly
	}
	dg := m.Descriptor.Digest
	v, rec, err := newRecord(repo, m)
	if err != nil {
		return err
	}
	return ix.g.do(func(tx *bolt.Tx, log *batchLog) error {
		mb := tx.Bucket(bucketManifests)
		mk := key(repo, string(dg))
		if mb.Get(mk) == nil {
			v := v
			v.off += log.add(rec)
			if err := must(mb.Put(mk, v.encode())); err != nil {
				return err
			}
			if m.Subject != "" {
				if err := must(tx.Bucket(bucketReferrers).Put(key(repo, string(m.Subject), string(dg)), nil)); err != nil {
					return err
				}
			}
			// A Put dirties a page even when the key is there: look first
			// (in a cache of repositories seen, then in the index).
			if !log.ix.g.seen(repo) {
				if rb := tx.Bucket(bucketRepos); rb.Get([]byte(repo)) == nil {
					if err := must(rb.Put([]byte(repo), nil)); err != nil {
						return err
					}
				}
				log.ix.g.saw(repo)
			}
		}
		tb := tx.Bucket(bucketTags)
		for _, t := range tags {
			tk := key(repo, t)
			if old := tb.Get(tk); string(old) == string(dg) {
				continue
			}
			if err := must(tb.Put(tk, []byte(dg))); err != nil {
				return err
			}
		}
		return nil
	})
}

// newRecord encodes a manifest's log record and its index entry (offset
// still relative to the record's start).
func newRecord(repo string, m storage.Manifest) (manifestValue, []byte, error) {
	desc := m.Descriptor
	onDisk := len(desc.Annotations) > 0 || len(desc.URLs) > 0 || desc.Platform != nil ||
		desc.Data != nil || desc.Size != int64(len(m.Content))
	meta, err := json.Marshal(recordMeta{Repository: repo, Descriptor: &desc, Subject: m.Subject})
	if err != nil {
		return manifestValue{}, nil, err
	}
	if len(meta) > 1<<31 || len(m.Content) > 1<<31 {
		return manifestValue{}, nil, errors.New("filesystem: manifest too large")
	}
	v := manifestValue{meta: uint32(len(meta)), n: uint32(len(m.Content)), onDisk: onDisk,
		mediaType: desc.MediaType, artifactType: desc.ArtifactType, subject: m.Subject}
	v.off = int64(len(meta))
	return v, append(meta, m.Content...), nil
}

func (ix *index) lookup(repo string, dg digest.Digest) (manifestValue, bool, error) {
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
	var tags []string
	err := ix.g.do(func(tx *bolt.Tx, _ *batchLog) error {
		tags = nil
		mb := tx.Bucket(bucketManifests)
		mk := key(repo, string(dg))
		raw := mb.Get(mk)
		if raw == nil {
			return storage.ErrManifestUnknown
		}
		v, err := decodeManifestValue(raw)
		if err != nil {
			return err
		}
		// The repository's tags are scanned, as Distribution does: a
		// reverse index would cost two more writes on every tag push.
		tb := tx.Bucket(bucketTags)
		if err := prefix(tb, key(repo, ""), func(rest, val []byte) error {
			if string(val) == string(dg) {
				tags = append(tags, string(rest))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, t := range tags {
			if err := must(tb.Delete(key(repo, t))); err != nil {
				return err
			}
		}
		if v.subject != "" {
			if err := must(tx.Bucket(bucketReferrers).Delete(key(repo, string(v.subject), string(dg)))); err != nil {
				return err
			}
		}
		return must(mb.Delete(mk))
	})
	return tags, err
}

func (ix *index) resolve(repo, tag string) (digest.Digest, error) {
	ix.touched(1)
	var dg digest.Digest
	err := ix.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTags).Get(key(repo, tag))
		if b == nil {
			return storage.ErrTagUnknown
		}
		dg = digest.Digest(b)
		return nil
	})
	return dg, err
}

func (ix *index) deleteTag(repo, tag string) (digest.Digest, error) {
	if ix.ro {
		return "", errReadOnly
	}
	var dg digest.Digest
	err := ix.g.do(func(tx *bolt.Tx, _ *batchLog) error {
		tb := tx.Bucket(bucketTags)
		tk := key(repo, tag)
		b := tb.Get(tk)
		if b == nil {
			return storage.ErrTagUnknown
		}
		dg = digest.Digest(b)
		return must(tb.Delete(tk))
	})
	return dg, err
}

// tagList is repo's tags in lexical order (bbolt keeps keys sorted).
func (ix *index) tagList(repo string) ([]string, error) {
	ix.touched(1)
	tags := []string{}
	err := ix.db.View(func(tx *bolt.Tx) error {
		return prefix(tx.Bucket(bucketTags), key(repo, ""), func(rest, _ []byte) error {
			tags = append(tags, string(rest))
			return nil
		})
	})
	return tags, err
}

func (ix *index) referrersOf(repo string, subject digest.Digest) ([]v1.Descriptor, error) {
	ix.touched(1)
	out := []v1.Descriptor{}
	err := ix.db.View(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketManifests)
		return prefix(tx.Bucket(bucketReferrers), key(repo, string(subject), ""), func(rest, _ []byte) error {
			dg := digest.Digest(rest)
			raw := mb.Get(key(repo, string(dg)))
			if raw == nil {
				return nil
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
	ix.touched(1)
	var ok bool
	ix.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketRepos).Get([]byte(repo)) != nil
		return nil
	})
	return ok
}

func (ix *index) repositories() ([]string, error) {
	var out []string
	err := ix.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRepos).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out, err
}

// walk calls fn for every stored manifest with its tags, repository by
// repository (keys sort by repository, so one repository's tags are in
// memory at a time). fn must not write to the index.
func (ix *index) walk(fn func(repo string, m storage.Manifest, tags []string) error) error {
	return ix.db.View(func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTags)
		current := ""
		var tagsOf map[string][]string
		return tx.Bucket(bucketManifests).ForEach(func(k, raw []byte) error {
			repo, dgs, ok := strings.Cut(string(k), "\x00")
			if !ok {
				return fmt.Errorf("filesystem: corrupt index key %q", k)
			}
			if tagsOf == nil || repo != current {
				current, tagsOf = repo, map[string][]string{}
				if err := prefix(tb, key(repo, ""), func(rest, val []byte) error {
					tagsOf[string(val)] = append(tagsOf[string(val)], string(rest))
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

// group commits the index writes of concurrent requests in one bbolt
// transaction: a writer takes whatever is queued, so a lone request waits
// for nothing and a busy registry commits many at once.
type group struct {
	ix   *index
	ops  chan *groupOp
	done chan struct{}
	once sync.Once

	repos map[string]struct{} // see seen
}

// seen and saw keep a bounded cache of repositories known to be in the
// repos bucket; only the writer uses it. A rollback after saw leaves a
// name cached that the index lacks until the next put into it commits,
// so the cache is cleared whenever a commit fails.
func (g *group) seen(repo string) bool {
	_, ok := g.repos[repo]
	return ok
}

func (g *group) saw(repo string) {
	if len(g.repos) >= maxSeenRepos {
		clear(g.repos)
	}
	g.repos[repo] = struct{}{}
}

type groupOp struct {
	fn  func(*bolt.Tx, *batchLog) error
	err chan error
}

// maxGroup bounds one transaction; dropEvery is how many lookups or
// writes pass between drops of resident index pages (a few MiB; a drop
// costs about 0.1 ms).
const (
	maxYields    = 4
	lingerBatch  = 16
	lingerFor    = 200 * time.Microsecond
	maxGroup     = 256
	maxSeenRepos = 4096
	dropEvery    = 128
	dropInterval = time.Second
)

func newGroup(ix *index) *group {
	g := &group{ix: ix, ops: make(chan *groupOp, maxGroup), done: make(chan struct{}), repos: map[string]struct{}{}}
	go g.run()
	return g
}

var errClosed = errors.New("filesystem: driver closed")

func (g *group) do(fn func(*bolt.Tx, *batchLog) error) error {
	op := &groupOp{fn: fn, err: make(chan error, 1)}
	select {
	case g.ops <- op:
	case <-g.done:
		return errClosed
	}
	select {
	case err := <-op.err:
		return err
	case <-g.done:
		// run answers every op it took before it stops.
		select {
		case err := <-op.err:
			return err
		default:
			return errClosed
		}
	}
}

func (g *group) stop() { g.once.Do(func() { close(g.done) }) }

func (g *group) run() {
	batch := make([]*groupOp, 0, maxGroup)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	busy := false // the last commit had company: more writes are coming
	for {
		select {
		case op := <-g.ops:
			batch = append(batch[:0], op)
		case <-g.done:
			return
		}
		// Let the writes that are on their way join: a commit costs about
		// the same for one write as for dozens. Yielding lets requests
		// just answered by the last commit send their next write.
		for yields, got := 0, 1; len(batch) < maxGroup; {
			select {
			case op := <-g.ops:
				batch = append(batch, op)
				got++
				continue
			default:
			}
			if got == 0 || yields == maxYields {
				break
			}
			yields, got = yields+1, 0
			runtime.Gosched()
		}
		// Under load (on a busy machine the requests' goroutines may not
		// get to run while this one yields), wait a little for company.
		if busy && len(batch) < lingerBatch {
			linger.Reset(lingerFor)
		wait:
			for len(batch) < lingerBatch {
				select {
				case op := <-g.ops:
					batch = append(batch, op)
				case <-linger.C:
					break wait
				}
			}
			linger.Stop()
		}
		busy = len(batch) > 1
		g.commit(batch)
		g.ix.touched(len(batch))
	}
}

// commit runs a batch in one transaction. An op's own error (before it
// wrote anything) fails that op alone; a hard error would leave its
// partial writes in everyone's transaction, so then each op runs again in
// a transaction of its own.
func (g *group) commit(batch []*groupOp) {
	errs := make([]error, len(batch))
	var failed error
	err := g.ix.db.Update(func(tx *bolt.Tx) error {
		log := &batchLog{ix: g.ix}
		for i, op := range batch {
			errs[i] = op.fn(tx, log)
			if _, ok := errs[i].(hard); ok {
				failed = errs[i]
				return errs[i]
			}
		}
		return log.flush()
	})
	if err != nil || failed != nil {
		clear(g.repos)
	}
	if failed != nil && len(batch) > 1 {
		for _, op := range batch {
			err := g.ix.db.Update(func(tx *bolt.Tx) error {
				log := &batchLog{ix: g.ix}
				if err := op.fn(tx, log); err != nil {
					if _, ok := err.(hard); ok {
						return err
					}
					return softError{err}
				}
				return log.flush()
			})
			if err != nil {
				clear(g.repos)
			}
			op.err <- unwrapHard(err)
		}
		return
	}
	for i, op := range batch {
		if err != nil {
			errs[i] = err
		}
		op.err <- unwrapHard(errs[i])
	}
}

// softError carries an op's own error out of a transaction of its own
// (rolling it back, though it wrote nothing).
type softError struct{ error }

func unwrapHard(err error) error {
	switch e := err.(type) {
	case hard:
		return e.error
	case softError:
		return e.error
	}
	return err
}

// importJournals moves the manifests and tags of a store written before
// the index existed (one journal per repository) into a fresh index.
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
			v, rec, err := newRecord(repo, m)
			if err != nil {
				return err
			}
			off, err := ix.appendRecord(rec)
			if err != nil {
				return err
			}
			v.off = off + int64(v.meta)
			tags := byDigest[k]
			if err := ix.db.Update(func(tx *bolt.Tx) error {
				if err := tx.Bucket(bucketManifests).Put(key(repo, string(dg)), v.encode()); err != nil {
					return err
				}
				if m.Subject != "" {
					if err := tx.Bucket(bucketReferrers).Put(key(repo, string(m.Subject), string(dg)), nil); err != nil {
						return err
					}
				}
				for _, t := range tags {
					if err := tx.Bucket(bucketTags).Put(key(repo, t), []byte(dg)); err != nil {
						return err
					}
				}
				return tx.Bucket(bucketRepos).Put([]byte(repo), nil)
			}); err != nil {
				return err
			}
		}
		return nil
	})
}
