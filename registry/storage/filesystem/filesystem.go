// Package filesystem is a storage.Driver that keeps content under one root
// directory:
//
//	blobs/<alg>/<hex[:2]>/<hex>                  content, shared by all repositories
//	repositories/<name>/_layers/<alg>/<hex>      hard link to the blob: it is in this repository
//	repositories/<name>/_uploads/<uuid>          upload in progress
//	repositories/<name>/_manifests/journal       manifests and tags (see journal.go)
//
// Blob content is written to a hidden temp file beside its final name and
// renamed into place once its digest is verified, so readers never see a
// partial blob. Nothing is fsynced per request: on this kind of storage a
// new inode costs about as much as a whole request should, so a push makes
// as few of them as it can (one per blob; none per manifest or tag).
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
	"sort"
	"strings"
	"sync"
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

	reposMu sync.Mutex
	repos   map[string]*journal

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

// New returns a driver rooted at root, creating the directory if needed.
func New(root string) (*Driver, error) {
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
	return &Driver{root: abs, seed: maphash.MakeSeed(), repos: map[string]*journal{}, pending: map[string]pendingUpload{}}, nil
}

// Close closes the repositories' journals.
func (d *Driver) Close() error {
	d.reposMu.Lock()
	defer d.reposMu.Unlock()
	var errs []error
	for _, j := range d.repos {
		errs = append(errs, j.close())
	}
	d.repos = map[string]*journal{}
	return errors.Join(errs...)
}

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
	err := os.Link(src, dst)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
			err = os.Link(src, dst)
		}
	}
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	return err
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
	return notExist(os.Remove(d.linkPath(name, dg)), storage.ErrBlobUnknown)
}

// BlobMount implements storage.Driver.
func (d *Driver) BlobMount(_ context.Context, from, name string, dg digest.Digest) (int64, error) {
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
// content is written beside its final name and renamed once verified.
func (d *Driver) BlobPut(_ context.Context, name string, dg digest.Digest, r io.Reader) (int64, error) {
	dst := d.blobPath(dg)
	f, err := tempFile(filepath.Dir(dst))
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	h := dg.Algorithm().Hash()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	if digest.NewDigest(dg.Algorithm(), h) != dg {
		return n, storage.ErrDigestMismatch
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return n, err
	}
	return n, link(dst, d.linkPath(name, dg))
}

// UploadStart implements storage.Driver.
func (d *Driver) UploadStart(_ context.Context, name string) (string, error) {
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

// UploadWrite implements storage.Driver.
func (d *Driver) UploadWrite(_ context.Context, name, id string, offset int64, r io.Reader) (int64, error) {
	defer d.lock(id)()
	path := d.uploadPath(name, id)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) && d.isPending(name, id) {
		if offset > 0 {
			return 0, &storage.RangeError{Size: 0}
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrNotExist) {
			if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
				f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			}
		}
		if err == nil {
			d.dropPending(id)
		}
	}
	if err != nil {
		return 0, notExist(err, storage.ErrUploadUnknown)
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	if offset >= 0 && offset != size {
		return size, &storage.RangeError{Size: size}
	}
	n, err := io.Copy(f, r)
	return size + n, err
}

// UploadCommit implements storage.Driver. The upload is hashed from disk,
// so its state needs no memory across requests or restarts.
func (d *Driver) UploadCommit(ctx context.Context, name, id string, dg digest.Digest) (int64, error) {
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
	h := dg.Algorithm().Hash()
	n, err := io.Copy(h, f)
	f.Close()
	if err != nil {
		return n, err
	}
	if digest.NewDigest(dg.Algorithm(), h) != dg {
		return n, storage.ErrDigestMismatch
	}
	dst := d.blobPath(dg)
	if err := link(path, dst); err != nil {
		return n, err
	}
	if err := link(dst, d.linkPath(name, dg)); err != nil {
		return n, err
	}
	return n, os.Remove(path)
}

// UploadCancel implements storage.Driver.
func (d *Driver) UploadCancel(_ context.Context, name, id string) error {
	defer d.lock(id)()
	err := os.Remove(d.uploadPath(name, id))
	if errors.Is(err, fs.ErrNotExist) && d.isPending(name, id) {
		d.dropPending(id)
		return nil
	}
	return notExist(err, storage.ErrUploadUnknown)
}

// journal returns repo's journal, loading it on first use. Journals of
// repositories that do not exist are only kept when about to be written,
// so lookups of made-up names cost no memory.
func (d *Driver) journal(name string, write bool) (*journal, error) {
	d.reposMu.Lock()
	defer d.reposMu.Unlock()
	if j, ok := d.repos[name]; ok {
		return j, nil
	}
	j, err := openJournal(d.repoPath(name, "_manifests", "journal"))
	if err != nil {
		return nil, err
	}
	if write || j.exists() {
		d.repos[name] = j
	}
	return j, nil
}

// ManifestPut implements storage.Driver.
func (d *Driver) ManifestPut(_ context.Context, name string, m storage.Manifest, tags ...string) error {
	j, err := d.journal(name, true)
	if err != nil {
		return err
	}
	return j.put(m, tags)
}

// ManifestGet implements storage.Driver.
func (d *Driver) ManifestGet(_ context.Context, name string, dg digest.Digest) (storage.Manifest, error) {
	j, err := d.journal(name, false)
	if err != nil {
		return storage.Manifest{}, err
	}
	return j.get(dg)
}

// ManifestDelete implements storage.Driver.
func (d *Driver) ManifestDelete(_ context.Context, name string, dg digest.Digest) ([]string, error) {
	j, err := d.journal(name, false)
	if err != nil {
		return nil, err
	}
	return j.deleteManifest(dg)
}

// TagResolve implements storage.Driver.
func (d *Driver) TagResolve(_ context.Context, name, tag string) (digest.Digest, error) {
	j, err := d.journal(name, false)
	if err != nil {
		return "", err
	}
	return j.resolve(tag)
}

// TagDelete implements storage.Driver.
func (d *Driver) TagDelete(_ context.Context, name, tag string) (digest.Digest, error) {
	j, err := d.journal(name, false)
	if err != nil {
		return "", err
	}
	return j.deleteTag(tag)
}

// Tags implements storage.Driver.
func (d *Driver) Tags(_ context.Context, name string) ([]string, error) {
	if !d.holds(name) {
		return nil, storage.ErrRepositoryUnknown
	}
	j, err := d.journal(name, false)
	if err != nil {
		return nil, err
	}
	return j.tagList(), nil
}

// holds reports whether a repository has ever held a manifest or blob.
func (d *Driver) holds(name string) bool {
	for _, dir := range []string{"_manifests", "_layers"} {
		if _, err := os.Stat(d.repoPath(name, dir)); err == nil {
			return true
		}
	}
	return false
}

// Referrers implements storage.Driver.
func (d *Driver) Referrers(_ context.Context, name string, subject digest.Digest) ([]v1.Descriptor, error) {
	j, err := d.journal(name, false)
	if err != nil {
		return nil, err
	}
	return j.referrersOf(subject)
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
		if d.holds(filepath.ToSlash(rel)) {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}
