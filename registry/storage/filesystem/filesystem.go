// Package filesystem is a storage.Driver that keeps content under one root
// directory, in a layout close to CNCF Distribution's:
//
//	blobs/<alg>/<hex[:2]>/<hex>/data                     content, shared by all repositories
//	repositories/<name>/_layers/<alg>/<hex>             link: blob is in this repository
//	repositories/<name>/_manifests/revisions/<alg>/<hex> manifest metadata (JSON)
//	repositories/<name>/_manifests/tags/<tag>           digest the tag points at
//	repositories/<name>/_referrers/<alg>/<hex>/<alg>-<hex> referrer descriptor (JSON)
//	repositories/<name>/_uploads/<uuid>                 upload in progress
//
// Every file is written to a hidden temp file beside its final name and
// renamed (or hard-linked) into place, so readers never see a partial file; nothing is fsynced per request (a crash can lose the last
// writes, never leave a torn one visible). Upload sessions are plain files,
// so an upload in progress survives a restart.
package filesystem

import (
	"context"
	"encoding/json"
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

	"github.com/google/uuid"
	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry/storage"
)

// Driver is a filesystem storage.Driver.
type Driver struct {
	root string
	// locks serialise the read-modify-write steps of one repository's
	// manifests and tags, and of one upload, without a global lock.
	locks [64]sync.RWMutex
	seed  maphash.Seed
}

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
	return &Driver{root: abs, seed: maphash.MakeSeed()}, nil
}

func (d *Driver) lock(key string) func() {
	m := &d.locks[maphash.String(d.seed, key)%uint64(len(d.locks))]
	m.Lock()
	return m.Unlock
}

// share takes key's lock shared: manifest puts run in parallel, deletes
// (which scan tags) wait for them.
func (d *Driver) share(key string) func() {
	m := &d.locks[maphash.String(d.seed, key)%uint64(len(d.locks))]
	m.RLock()
	return m.RUnlock
}

// Paths. Callers validated names, tags, ids and digests; filepath.Join of
// those cannot leave the root.

func (d *Driver) blobPath(dg digest.Digest) string {
	hex := dg.Encoded()
	return filepath.Join(d.root, "blobs", string(dg.Algorithm()), hex[:2], hex, "data")
}

func (d *Driver) repoPath(name string, parts ...string) string {
	return filepath.Join(append([]string{d.root, "repositories", filepath.FromSlash(name)}, parts...)...)
}

func (d *Driver) linkPath(name string, dg digest.Digest) string {
	return d.repoPath(name, "_layers", string(dg.Algorithm()), dg.Encoded())
}

func (d *Driver) revisionPath(name string, dg digest.Digest) string {
	return d.repoPath(name, "_manifests", "revisions", string(dg.Algorithm()), dg.Encoded())
}

func (d *Driver) tagPath(name, tag string) string {
	return d.repoPath(name, "_manifests", "tags", tag)
}

func (d *Driver) referrersDir(name string, subject digest.Digest) string {
	return d.repoPath(name, "_referrers", string(subject.Algorithm()), subject.Encoded())
}

func (d *Driver) uploadPath(name, id string) string {
	return d.repoPath(name, "_uploads", id)
}

// tempFile creates a hidden temp file in dir, creating dir when missing.
// Temp files live beside their destination because a rename within one
// directory avoids the kernel's filesystem-wide cross-directory rename lock,
// which would serialise every concurrent push.
func tempFile(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			f, err = os.CreateTemp(dir, ".tmp-*")
		}
	}
	return f, err
}

// writeFile atomically replaces path with data.
func writeFile(path string, data []byte) error {
	f, err := tempFile(filepath.Dir(path))
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// linkInto gives src's content the name dst (a hard link, which, unlike a
// cross-directory rename, takes no filesystem-wide lock) and removes src.
// Content-addressed destinations never change, so an existing dst is fine.
func linkInto(src, dst string) error {
	err := os.Link(src, dst)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
			err = os.Link(src, dst)
		}
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return os.Remove(src)
}

// touch creates an empty file (a link), creating its directory when missing.
func touch(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			f, err = os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
		}
	}
	if err != nil {
		return err
	}
	return f.Close()
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
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
	if _, err := os.Stat(d.linkPath(name, dg)); err != nil {
		return 0, notExist(err, storage.ErrBlobUnknown)
	}
	fi, err := os.Stat(d.blobPath(dg))
	if err != nil {
		return 0, notExist(err, storage.ErrBlobUnknown)
	}
	return fi.Size(), nil
}

// BlobOpen implements storage.Driver.
func (d *Driver) BlobOpen(_ context.Context, name string, dg digest.Digest) (io.ReadSeekCloser, int64, error) {
	if _, err := os.Stat(d.linkPath(name, dg)); err != nil {
		return nil, 0, notExist(err, storage.ErrBlobUnknown)
	}
	f, err := os.Open(d.blobPath(dg))
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
func (d *Driver) BlobMount(ctx context.Context, from, name string, dg digest.Digest) (int64, error) {
	var size int64
	if from == "" {
		fi, err := os.Stat(d.blobPath(dg))
		if err != nil {
			return 0, notExist(err, storage.ErrBlobUnknown)
		}
		size = fi.Size()
	} else {
		var err error
		if size, err = d.BlobStat(ctx, from, dg); err != nil {
			return 0, err
		}
	}
	return size, touch(d.linkPath(name, dg))
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
	return n, touch(d.linkPath(name, dg))
}

// UploadStart implements storage.Driver.
func (d *Driver) UploadStart(_ context.Context, name string) (string, error) {
	id := uuid.NewString()
	return id, touch(d.uploadPath(name, id))
}

// UploadSize implements storage.Driver.
func (d *Driver) UploadSize(_ context.Context, name, id string) (int64, error) {
	fi, err := os.Stat(d.uploadPath(name, id))
	if err != nil {
		return 0, notExist(err, storage.ErrUploadUnknown)
	}
	return fi.Size(), nil
}

// UploadWrite implements storage.Driver.
func (d *Driver) UploadWrite(_ context.Context, name, id string, offset int64, r io.Reader) (int64, error) {
	defer d.lock("upload/" + id)()
	f, err := os.OpenFile(d.uploadPath(name, id), os.O_WRONLY, 0)
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
func (d *Driver) UploadCommit(_ context.Context, name, id string, dg digest.Digest) (int64, error) {
	defer d.lock("upload/" + id)()
	path := d.uploadPath(name, id)
	f, err := os.Open(path)
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
	if err := linkInto(path, d.blobPath(dg)); err != nil {
		return n, err
	}
	return n, touch(d.linkPath(name, dg))
}

// UploadCancel implements storage.Driver.
func (d *Driver) UploadCancel(_ context.Context, name, id string) error {
	defer d.lock("upload/" + id)()
	return notExist(os.Remove(d.uploadPath(name, id)), storage.ErrUploadUnknown)
}

// revision is what a manifest revision file holds besides the content,
// which lives in the blob store.
type revision struct {
	Descriptor v1.Descriptor `json:"descriptor"`
	Subject    digest.Digest `json:"subject,omitempty"`
}

// ManifestPut implements storage.Driver.
func (d *Driver) ManifestPut(_ context.Context, name string, m storage.Manifest, tags ...string) error {
	dg := m.Descriptor.Digest
	if ok, err := exists(d.blobPath(dg)); err != nil {
		return err
	} else if !ok {
		if err := writeFile(d.blobPath(dg), m.Content); err != nil {
			return err
		}
	}
	meta, err := json.Marshal(revision{Descriptor: m.Descriptor, Subject: m.Subject})
	if err != nil {
		return err
	}
	defer d.share("repo/" + name)()
	if err := writeFile(d.revisionPath(name, dg), meta); err != nil {
		return err
	}
	if m.Subject != "" {
		desc, err := json.Marshal(m.Descriptor)
		if err != nil {
			return err
		}
		ref := filepath.Join(d.referrersDir(name, m.Subject), string(dg.Algorithm())+"-"+dg.Encoded())
		if err := writeFile(ref, desc); err != nil {
			return err
		}
	}
	for _, t := range tags {
		if err := writeFile(d.tagPath(name, t), []byte(dg)); err != nil {
			return err
		}
	}
	return nil
}

func (d *Driver) readRevision(name string, dg digest.Digest) (revision, error) {
	var rev revision
	b, err := os.ReadFile(d.revisionPath(name, dg))
	if err != nil {
		return rev, notExist(err, storage.ErrManifestUnknown)
	}
	if err := json.Unmarshal(b, &rev); err != nil {
		return rev, fmt.Errorf("filesystem: corrupt revision %s in %s: %w", dg, name, err)
	}
	return rev, nil
}

// ManifestGet implements storage.Driver.
func (d *Driver) ManifestGet(_ context.Context, name string, dg digest.Digest) (storage.Manifest, error) {
	rev, err := d.readRevision(name, dg)
	if err != nil {
		return storage.Manifest{}, err
	}
	content, err := os.ReadFile(d.blobPath(dg))
	if err != nil {
		return storage.Manifest{}, notExist(err, storage.ErrManifestUnknown)
	}
	return storage.Manifest{Descriptor: rev.Descriptor, Subject: rev.Subject, Content: content}, nil
}

// ManifestDelete implements storage.Driver.
func (d *Driver) ManifestDelete(_ context.Context, name string, dg digest.Digest) ([]string, error) {
	defer d.lock("repo/" + name)()
	rev, err := d.readRevision(name, dg)
	if err != nil {
		return nil, err
	}
	if err := os.Remove(d.revisionPath(name, dg)); err != nil {
		return nil, notExist(err, storage.ErrManifestUnknown)
	}
	if rev.Subject != "" {
		ref := filepath.Join(d.referrersDir(name, rev.Subject), string(dg.Algorithm())+"-"+dg.Encoded())
		if err := os.Remove(ref); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	tags, err := d.tagNames(name)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, t := range tags {
		b, err := os.ReadFile(d.tagPath(name, t))
		if err != nil || digest.Digest(b) != dg {
			continue
		}
		if err := os.Remove(d.tagPath(name, t)); err == nil {
			removed = append(removed, t)
		}
	}
	return removed, nil
}

// TagResolve implements storage.Driver.
func (d *Driver) TagResolve(_ context.Context, name, tag string) (digest.Digest, error) {
	b, err := os.ReadFile(d.tagPath(name, tag))
	if err != nil {
		return "", notExist(err, storage.ErrTagUnknown)
	}
	return digest.Digest(b), nil
}

// TagDelete implements storage.Driver.
func (d *Driver) TagDelete(ctx context.Context, name, tag string) (digest.Digest, error) {
	defer d.lock("repo/" + name)()
	dg, err := d.TagResolve(ctx, name, tag)
	if err != nil {
		return "", err
	}
	return dg, notExist(os.Remove(d.tagPath(name, tag)), storage.ErrTagUnknown)
}

func (d *Driver) tagNames(name string) ([]string, error) {
	entries, err := os.ReadDir(d.repoPath(name, "_manifests", "tags"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	tags := make([]string, 0, len(entries))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") { // temp files
			tags = append(tags, e.Name())
		}
	}
	sort.Strings(tags)
	return tags, nil
}

// Tags implements storage.Driver.
func (d *Driver) Tags(_ context.Context, name string) ([]string, error) {
	if !d.holds(name) {
		return nil, storage.ErrRepositoryUnknown
	}
	return d.tagNames(name)
}

// holds reports whether a repository has ever held a manifest or blob.
func (d *Driver) holds(name string) bool {
	for _, dir := range []string{"_manifests", "_layers"} {
		if ok, _ := exists(d.repoPath(name, dir)); ok {
			return true
		}
	}
	return false
}

// Referrers implements storage.Driver.
func (d *Driver) Referrers(_ context.Context, name string, subject digest.Digest) ([]v1.Descriptor, error) {
	dir := d.referrersDir(name, subject)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	out := make([]v1.Descriptor, 0, len(entries))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") { // temp files
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		var desc v1.Descriptor
		if err := json.Unmarshal(b, &desc); err != nil {
			return nil, fmt.Errorf("filesystem: corrupt referrer %s: %w", e.Name(), err)
		}
		out = append(out, desc)
	}
	return out, nil
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
