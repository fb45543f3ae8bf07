// Package filesystem is a storage.Driver that keeps content under one root
// directory:
//
//	blobs/<alg>/<hex[:2]>/<hex>                  content, shared by all repositories
//	repositories/<name>/_layers/<alg>/<hex>      hard link to the blob: it is in this repository
//	repositories/<name>/_uploads/<uuid>          upload in progress (its hash state in an xattr, see hashstate.go)
//	index.db, manifests.log                      manifests, tags, referrers (see index.go)
//
// Blob content is written to an unnamed file (O_TMPFILE) in its final
// directory and linked into place once its digest is verified (a hidden
// temp file and a rename where O_TMPFILE is missing), so readers never see
// a partial blob, and a process killed mid-push leaves nothing behind. A
// blob stored already is only hashed, not written again. Nothing is
// fsynced per request: on this kind of storage a new inode costs about as
// much as a whole request should, so a push makes as few of them as it can
// (one per new blob; none per manifest or tag).
//
// Only one Driver may use a root at a time.
package filesystem

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry/storage"
)

// Driver is a filesystem storage.Driver.
type Driver struct {
	root string

	// locks serialise the steps of one upload without a global lock.
	locks [64]sync.Mutex
	seed  maphash.Seed

	ix       *index
	readOnly bool

	// unnamed is how new blob files are named once verified (linkNone:
	// named temp files and rename); probed at New.
	unnamed linkMode

	// buffered: the filesystem refused O_DIRECT, so blob bytes go through
	// the page cache (see direct.go).
	buffered atomic.Bool

	// pending are upload sessions that have received no bytes yet; they
	// get a file with their first byte (saving an inode per push), so an
	// empty session does not survive a restart, and the client starts over.
	pendingMu sync.Mutex
	pending   map[string]pendingUpload
}

type pendingUpload struct {
	repo    string
	started time.Time
}

// maxPending bounds empty sessions kept in memory; beyond it, sessions
// older than pendingTTL are forgotten.
const (
	maxPending = 100_000
	pendingTTL = time.Hour
)

var _ storage.Driver = (*Driver)(nil)

// Option configures a Driver.
type Option func(*Driver)

// ReadOnly opens the store for reading only: every write fails, and the
// index is shared with other read-only users of the root (a read-only
// registry beside garbage-collect) instead of being held alone.
func ReadOnly() Option { return func(d *Driver) { d.readOnly = true } }

// Buffered writes blob bytes through the page cache only, never with
// O_DIRECT (see direct.go).
func Buffered() Option { return func(d *Driver) { d.buffered.Store(true) } }

// DirectWrites reports whether new blob bytes are written with O_DIRECT
// (false: configured off, a network filesystem, or refused by this one).
func (d *Driver) DirectWrites() bool { return !d.buffered.Load() }

// New returns a driver rooted at root, creating the directory if needed.
// Only one writing Driver may use a root at a time; a second one (another
// registry process on the same root) is refused.
func New(root string, opts ...Option) (*Driver, error) {
	if root == "" {
		return nil, errors.New("filesystem: empty root directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("filesystem: %w", err)
	}
	for _, dir := range []string{"blobs", "repositories"} {
		if err := os.MkdirAll(filepath.Join(abs, dir), 0o755); err != nil {
			return nil, fmt.Errorf("filesystem: %w", err)
		}
	}
	d := &Driver{root: abs, seed: maphash.MakeSeed(), pending: map[string]pendingUpload{}}
	for _, o := range opts {
		o(d)
	}
	if d.ix, err = openIndex(abs, d.readOnly); err != nil {
		return nil, err
	}
	if !d.readOnly {
		d.unnamed = probeUnnamed(filepath.Join(abs, "blobs"))
	}
	if networked(abs) {
		d.buffered.Store(true)
	}
	return d, nil
}

// Close closes the manifest index; the Driver must not be used after.
func (d *Driver) Close() error { return d.ix.close() }

func (d *Driver) lock(key string) func() {
	m := &d.locks[maphash.String(d.seed, key)%uint64(len(d.locks))]
	m.Lock()
	return m.Unlock
}

// Paths. Callers validated names, tags, ids and digests; filepath.Join of
// those cannot leave the root.

func (d *Driver) blobPath(dg digest.Digest) string {
	hex := dg.Encoded()
	return filepath.Join(d.root, "blobs", string(dg.Algorithm()), hex[:2], hex)
}

func (d *Driver) repoPath(name string, parts ...string) string {
	return filepath.Join(append([]string{d.root, "repositories", filepath.FromSlash(name)}, parts...)...)
}

func (d *Driver) linkPath(name string, dg digest.Digest) string {
	return d.repoPath(name, "_layers", string(dg.Algorithm()), dg.Encoded())
}

func (d *Driver) uploadPath(name, id string) string {
	return d.repoPath(name, "_uploads", id)
}

// tempFile creates a hidden temp file in dir, creating dir when missing.
// Temp files live beside their destination: a rename within one directory
// avoids the kernel's filesystem-wide cross-directory rename lock.
func tempFile(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			f, err = os.CreateTemp(dir, ".tmp-*")
		}
	}
	return f, err
}

// link gives src's inode the extra name dst (no new inode, and unlike a
// cross-directory rename no filesystem-wide lock). Blobs never change, so
// an existing dst is fine.
func link(src, dst string) error {
	_, err := linkNew(src, dst)
	return err
}

// linkNew is link, and says whether it made dst.
func linkNew(src, dst string) (bool, error) {
	err := os.Link(src, dst)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
			err = os.Link(src, dst)
		}
	}
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	return err == nil, err
}

// notExist maps a missing file to want, and passes other errors on.
func notExist(err, want error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return want
	}
	return err
}

// BlobStat implements storage.Driver.
func (d *Driver) BlobStat(_ context.Context, name string, dg digest.Digest) (int64, error) {
	fi, err := os.Stat(d.linkPath(name, dg))
	if err != nil {
		return 0, notExist(err, storage.ErrBlobUnknown)
	}
	return fi.Size(), nil
}

// BlobOpen implements storage.Driver.
func (d *Driver) BlobOpen(_ context.Context, name string, dg digest.Digest) (io.ReadSeekCloser, int64, error) {
	f, err := os.Open(d.linkPath(name, dg))
	if err != nil {
		return nil, 0, notExist(err, storage.ErrBlobUnknown)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// BlobDelete implements storage.Driver.
func (d *Driver) BlobDelete(_ context.Context, name string, dg digest.Digest) error {
	if d.readOnly {
		return errReadOnly
	}
	return notExist(os.Remove(d.linkPath(name, dg)), storage.ErrBlobUnknown)
}

// BlobMount implements storage.Driver.
func (d *Driver) BlobMount(_ context.Context, from, name string, dg digest.Digest) (int64, error) {
	if d.readOnly {
		return 0, errReadOnly
	}
	src := d.blobPath(dg)
	if from != "" {
		src = d.linkPath(from, dg)
	}
	fi, err := os.Stat(src)
	if err != nil {
		return 0, notExist(err, storage.ErrBlobUnknown)
	}
	return fi.Size(), link(src, d.linkPath(name, dg))
}

// BlobPut implements storage.Driver. The digest is known up front, so the
// content is written beside its final name and named once verified. A blob
// stored already is not written again (its content is what its name says):
// the body is only hashed, then linked into the repository.
func (d *Driver) BlobPut(_ context.Context, name string, dg digest.Digest, r io.Reader) (int64, error) {
	if d.readOnly {
		return 0, errReadOnly
	}
	dst := d.blobPath(dg)
	h := dg.Algorithm().Hash()
	if fi, err := os.Stat(dst); err == nil {
		n, err := copyHashing(nil, h, r)
		if err != nil {
			return n, err
		}
		if digest.NewDigest(dg.Algorithm(), h) != dg {
			return n, storage.ErrDigestMismatch
		}
		if fi.Size() != n {
			// The stored copy is damaged (cut by a crash before writeback:
			// nothing is fsynced). Its name goes, so the client's retry
			// stores the blob anew.
			os.Remove(dst)
			return n, fmt.Errorf("filesystem: stored blob %s has %d bytes, not %d: removed, push again", dg, fi.Size(), n)
		}
		return n, link(dst, d.linkPath(name, dg))
	}
	f, err := d.newBlobFile(filepath.Dir(dst))
	if err != nil {
		return 0, err
	}
	n, err := copyHashing(f, h, r)
	if err == nil && digest.NewDigest(dg.Algorithm(), h) != dg {
		err = storage.ErrDigestMismatch
	}
	if err != nil {
		f.discard()
		return n, err
	}
	if err := f.commit(dst); err != nil {
		return n, err
	}
	return n, link(dst, d.linkPath(name, dg))
}

// UploadStart implements storage.Driver.
func (d *Driver) UploadStart(_ context.Context, name string) (string, error) {
	if d.readOnly {
		return "", errReadOnly
	}
	id := uuid.NewString()
	now := time.Now()
	d.pendingMu.Lock()
	defer d.pendingMu.Unlock()
	if len(d.pending) >= maxPending {
		for k, p := range d.pending {
			if now.Sub(p.started) > pendingTTL {
				delete(d.pending, k)
			}
		}
	}
	d.pending[id] = pendingUpload{repo: name, started: now}
	return id, nil
}

func (d *Driver) isPending(name, id string) bool {
	d.pendingMu.Lock()
	defer d.pendingMu.Unlock()
	p, ok := d.pending[id]
	return ok && p.repo == name
}

// takePending forgets name's pending session id, and says whether it was.
func (d *Driver) takePending(name, id string) bool {
	d.pendingMu.Lock()
	defer d.pendingMu.Unlock()
	p, ok := d.pending[id]
	if ok && p.repo == name {
		delete(d.pending, id)
		return true
	}
	return false
}

func (d *Driver) dropPending(id string) bool {
	d.pendingMu.Lock()
	defer d.pendingMu.Unlock()
	_, ok := d.pending[id]
	delete(d.pending, id)
	return ok
}

// UploadSize implements storage.Driver.
func (d *Driver) UploadSize(_ context.Context, name, id string) (int64, error) {
	fi, err := os.Stat(d.uploadPath(name, id))
	if err == nil {
		return fi.Size(), nil
	}
	if errors.Is(err, fs.ErrNotExist) && d.isPending(name, id) {
		return 0, nil
	}
	return 0, notExist(err, storage.ErrUploadUnknown)
}

// UploadWrite implements storage.Driver. The bytes are hashed as they are
// written, and the hash state saved with them (see hashstate.go).
func (d *Driver) UploadWrite(_ context.Context, name, id string, offset int64, r io.Reader) (int64, error) {
	if d.readOnly {
		return 0, errReadOnly
	}
	defer d.lock(id)()
	path := d.uploadPath(name, id)
	var (
		f    *os.File
		err  error
		st   *hashState
		size int64
	)
	// A pending session has no file yet (its first write makes it), so
	// the common first PATCH creates without trying to open first.
	if started, ok := d.pendingSince(name, id); ok {
		if offset > 0 {
			return 0, &storage.RangeError{Size: 0}
		}
		f, err = createUpload(path)
		if err == nil {
			st = newHashState(started)
			d.dropPending(id)
		}
	}
	if st == nil && (err == nil || errors.Is(err, fs.ErrExist)) {
		if f, err = os.OpenFile(path, os.O_RDWR, 0); err == nil {
			size, err = f.Seek(0, io.SeekEnd)
			if err != nil {
				f.Close()
				return 0, err
			}
		}
	}
	if err != nil {
		return 0, notExist(err, storage.ErrUploadUnknown)
	}
	defer f.Close()
	if offset >= 0 && offset != size {
		return size, &storage.RangeError{Size: size}
	}
	if st == nil {
		if st = loadHashStateOf(f, path); st == nil {
			st = newHashState(modTime(f))
		}
		if err := st.catchUp(f, size); err != nil {
			return size, err
		}
	}
	n, err := copyHashing(&posWriter{fd: int(f.Fd()), off: size, buffered: &d.buffered}, st.h, r)
	st.offset += n
	if serr := st.save(f, path); err == nil {
		err = serr
	}
	return size + n, err
}

// createUpload creates an upload's file, and its directory when missing.
func createUpload(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		}
	}
	return f, err
}

// modTime is when an upload without a readable state last changed.
func modTime(f *os.File) time.Time {
	if fi, err := f.Stat(); err == nil {
		return fi.ModTime()
	}
	return time.Now()
}

// pendingSince says whether name's session id is pending (has no file
// yet), and since when.
func (d *Driver) pendingSince(name, id string) (time.Time, bool) {
	d.pendingMu.Lock()
	defer d.pendingMu.Unlock()
	p, ok := d.pending[id]
	return p.started, ok && p.repo == name
}

// UploadCommit implements storage.Driver. A sha256 digest is checked
// against the hash state kept while writing: the data is not read again.
func (d *Driver) UploadCommit(ctx context.Context, name, id string, dg digest.Digest) (int64, error) {
	if d.readOnly {
		return 0, errReadOnly
	}
	defer d.lock(id)()
	path := d.uploadPath(name, id)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && d.isPending(name, id) {
		// Nothing was ever written: the blob is empty.
		n, err := d.BlobPut(ctx, name, dg, strings.NewReader(""))
		if err == nil {
			d.dropPending(id)
		}
		return n, err
	}
	if err != nil {
		return 0, notExist(err, storage.ErrUploadUnknown)
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return 0, err
	}
	var got digest.Digest
	st := loadHashStateOf(f, path)
	if st != nil && dg.Algorithm() == digest.SHA256 {
		err = st.catchUp(f, size)
		got = digest.NewDigest(digest.SHA256, st.h)
	} else {
		h := dg.Algorithm().Hash()
		_, err = io.Copy(h, io.NewSectionReader(f, 0, size))
		got = digest.NewDigest(dg.Algorithm(), h)
	}
	defer f.Close()
	if err != nil {
		return size, err
	}
	if got != dg {
		return size, storage.ErrDigestMismatch
	}
	dst := d.blobPath(dg)
	created, err := linkNew(path, dst)
	if err != nil {
		return size, err
	}
	if created {
		// The upload's inode is the blob now: it keeps no upload state.
		fremovexattr(f, stateXattr)
	}
	if err := link(dst, d.linkPath(name, dg)); err != nil {
		return size, err
	}
	if st == nil || st.inFile {
		os.Remove(statePath(path))
	}
	return size, os.Remove(path)
}

// UploadCancel implements storage.Driver.
func (d *Driver) UploadCancel(_ context.Context, name, id string) error {
	if d.readOnly {
		return errReadOnly
	}
	defer d.lock(id)()
	if d.takePending(name, id) {
		return nil // no file yet (the common POST then PUT of a whole blob)
	}
	path := d.uploadPath(name, id)
	err := os.Remove(path)
	os.Remove(statePath(path))
	return notExist(err, storage.ErrUploadUnknown)
}

// ManifestPut implements storage.Driver.
func (d *Driver) ManifestPut(_ context.Context, name string, m storage.Manifest, tags ...string) error {
	return d.ix.put(name, m, tags)
}

// ManifestGet implements storage.Driver.
func (d *Driver) ManifestGet(_ context.Context, name string, dg digest.Digest) (storage.Manifest, error) {
	return d.ix.get(name, dg)
}

// ManifestDelete implements storage.Driver.
func (d *Driver) ManifestDelete(_ context.Context, name string, dg digest.Digest) ([]string, error) {
	return d.ix.deleteManifest(name, dg)
}

// TagResolve implements storage.Driver.
func (d *Driver) TagResolve(_ context.Context, name, tag string) (digest.Digest, error) {
	return d.ix.resolve(name, tag)
}

// TagDelete implements storage.Driver.
func (d *Driver) TagDelete(_ context.Context, name, tag string) (digest.Digest, error) {
	return d.ix.deleteTag(name, tag)
}

// Tags implements storage.Driver.
func (d *Driver) Tags(_ context.Context, name string) ([]string, error) {
	if !d.holds(name) {
		return nil, storage.ErrRepositoryUnknown
	}
	return d.ix.tagList(name)
}

// holds reports whether a repository has ever held a manifest or blob.
func (d *Driver) holds(name string) bool {
	if d.ix.holds(name) {
		return true
	}
	_, err := os.Stat(d.repoPath(name, "_layers"))
	return err == nil
}

// Referrers implements storage.Driver.
func (d *Driver) Referrers(_ context.Context, name string, subject digest.Digest) ([]v1.Descriptor, error) {
	return d.ix.referrersOf(name, subject)
}

// Repositories implements storage.Driver. A directory is a repository when
// it holds _manifests or _layers; names nest, so the walk continues below.
func (d *Driver) Repositories(_ context.Context) ([]string, error) {
	base := filepath.Join(d.root, "repositories")
	var out []string
	err := filepath.WalkDir(base, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !e.IsDir() {
			return nil
		}
		if strings.HasPrefix(e.Name(), "_") {
			return fs.SkipDir
		}
		if path == base {
			return nil
		}
		rel, err := filepath.Rel(base, path)
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(path, "_layers")); err == nil {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	withManifests, err := d.ix.repositories()
	if err != nil {
		return nil, err
	}
	out = append(out, withManifests...)
	sort.Strings(out)
	return slices.Compact(out), nil
}
