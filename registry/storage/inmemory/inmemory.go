// Package inmemory is a storage.Driver that keeps everything in memory, for
// tests and throw-away registries.
package inmemory

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry/storage"
)

// Driver is an in-memory storage.Driver. The zero value is not usable; call New.
type Driver struct {
	blobsMu sync.RWMutex
	blobs   map[digest.Digest][]byte // content shared by all repositories

	reposMu sync.RWMutex
	repos   map[string]*repo
}

// repo is one repository; its own lock keeps pushes to different
// repositories from contending.
type repo struct {
	mu        sync.Mutex
	layers    map[digest.Digest]struct{}
	manifests map[digest.Digest]storage.Manifest
	tags      map[string]digest.Digest
	uploads   map[string]*bytes.Buffer
	started   map[string]time.Time                         // of the uploads (stale entries go at the next purge)
	referrers map[digest.Digest]map[digest.Digest]struct{} // subject -> manifests
	holds     bool                                         // has held a blob or manifest
}

// New returns an empty in-memory driver.
func New() *Driver {
	return &Driver{blobs: map[digest.Digest][]byte{}, repos: map[string]*repo{}}
}

var _ storage.Driver = (*Driver)(nil)

func (d *Driver) repo(name string, create bool) *repo {
	d.reposMu.RLock()
	r := d.repos[name]
	d.reposMu.RUnlock()
	if r != nil || !create {
		return r
	}
	d.reposMu.Lock()
	defer d.reposMu.Unlock()
	if r = d.repos[name]; r == nil {
		r = &repo{
			layers:    map[digest.Digest]struct{}{},
			manifests: map[digest.Digest]storage.Manifest{},
			tags:      map[string]digest.Digest{},
			uploads:   map[string]*bytes.Buffer{},
			started:   map[string]time.Time{},
			referrers: map[digest.Digest]map[digest.Digest]struct{}{},
		}
		d.repos[name] = r
	}
	return r
}

func (d *Driver) blob(dg digest.Digest) ([]byte, bool) {
	d.blobsMu.RLock()
	defer d.blobsMu.RUnlock()
	b, ok := d.blobs[dg]
	return b, ok
}

func (d *Driver) storeBlob(dg digest.Digest, b []byte) {
	d.blobsMu.Lock()
	defer d.blobsMu.Unlock()
	if _, ok := d.blobs[dg]; !ok {
		d.blobs[dg] = b
	}
}

func (r *repo) linked(dg digest.Digest) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.layers[dg]
	return ok
}

func (r *repo) link(dg digest.Digest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.layers[dg] = struct{}{}
	r.holds = true
}

// BlobStat implements storage.Driver.
func (d *Driver) BlobStat(_ context.Context, name string, dg digest.Digest) (int64, error) {
	r := d.repo(name, false)
	if r == nil || !r.linked(dg) {
		return 0, storage.ErrBlobUnknown
	}
	b, ok := d.blob(dg)
	if !ok {
		return 0, storage.ErrBlobUnknown
	}
	return int64(len(b)), nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// BlobOpen implements storage.Driver.
func (d *Driver) BlobOpen(ctx context.Context, name string, dg digest.Digest) (io.ReadSeekCloser, int64, error) {
	if _, err := d.BlobStat(ctx, name, dg); err != nil {
		return nil, 0, err
	}
	b, _ := d.blob(dg)
	return nopCloser{bytes.NewReader(b)}, int64(len(b)), nil
}

// BlobDelete implements storage.Driver.
func (d *Driver) BlobDelete(_ context.Context, name string, dg digest.Digest) error {
	r := d.repo(name, false)
	if r == nil {
		return storage.ErrBlobUnknown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.layers[dg]; !ok {
		return storage.ErrBlobUnknown
	}
	delete(r.layers, dg)
	return nil
}

// BlobMount implements storage.Driver.
func (d *Driver) BlobMount(ctx context.Context, from, name string, dg digest.Digest) (int64, error) {
	var size int64
	if from == "" {
		b, ok := d.blob(dg)
		if !ok {
			return 0, storage.ErrBlobUnknown
		}
		size = int64(len(b))
	} else {
		var err error
		if size, err = d.BlobStat(ctx, from, dg); err != nil {
			return 0, err
		}
	}
	d.repo(name, true).link(dg)
	return size, nil
}

// BlobPut implements storage.Driver.
func (d *Driver) BlobPut(_ context.Context, name string, dg digest.Digest, rd io.Reader) (int64, error) {
	b, err := io.ReadAll(rd)
	if err != nil {
		return int64(len(b)), err
	}
	if dg.Algorithm().FromBytes(b) != dg {
		return int64(len(b)), storage.ErrDigestMismatch
	}
	d.storeBlob(dg, b)
	d.repo(name, true).link(dg)
	return int64(len(b)), nil
}

// UploadStart implements storage.Driver.
func (d *Driver) UploadStart(_ context.Context, name string) (string, error) {
	id := uuid.NewString()
	r := d.repo(name, true)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.uploads[id] = &bytes.Buffer{}
	r.started[id] = time.Now()
	return id, nil
}

// UploadSize implements storage.Driver.
func (d *Driver) UploadSize(_ context.Context, name, id string) (int64, error) {
	r := d.repo(name, false)
	if r == nil {
		return 0, storage.ErrUploadUnknown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.uploads[id]
	if !ok {
		return 0, storage.ErrUploadUnknown
	}
	return int64(u.Len()), nil
}

// UploadWrite implements storage.Driver. The body is read outside the
// repository lock, so a slow client does not stall the repository.
func (d *Driver) UploadWrite(ctx context.Context, name, id string, offset int64, rd io.Reader) (int64, error) {
	size, err := d.UploadSize(ctx, name, id)
	if err != nil {
		return 0, err
	}
	if offset >= 0 && offset != size {
		return size, &storage.RangeError{Size: size}
	}
	chunk, readErr := io.ReadAll(rd)
	r := d.repo(name, false)
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.uploads[id]
	if !ok {
		return 0, storage.ErrUploadUnknown
	}
	if int64(u.Len()) != size { // another writer got in between
		return int64(u.Len()), &storage.RangeError{Size: int64(u.Len())}
	}
	u.Write(chunk)
	return int64(u.Len()), readErr
}

// UploadCommit implements storage.Driver.
func (d *Driver) UploadCommit(_ context.Context, name, id string, dg digest.Digest) (int64, error) {
	r := d.repo(name, false)
	if r == nil {
		return 0, storage.ErrUploadUnknown
	}
	r.mu.Lock()
	u, ok := r.uploads[id]
	if !ok {
		r.mu.Unlock()
		return 0, storage.ErrUploadUnknown
	}
	b := u.Bytes()
	if dg.Algorithm().FromBytes(b) != dg {
		r.mu.Unlock()
		return int64(len(b)), storage.ErrDigestMismatch
	}
	delete(r.uploads, id)
	r.layers[dg] = struct{}{}
	r.holds = true
	r.mu.Unlock()
	d.storeBlob(dg, slices.Clone(b))
	return int64(len(b)), nil
}

// UploadCancel implements storage.Driver.
func (d *Driver) UploadCancel(_ context.Context, name, id string) error {
	r := d.repo(name, false)
	if r == nil {
		return storage.ErrUploadUnknown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.uploads[id]; !ok {
		return storage.ErrUploadUnknown
	}
	delete(r.uploads, id)
	return nil
}

// ManifestPut implements storage.Driver.
func (d *Driver) ManifestPut(_ context.Context, name string, m storage.Manifest, tags ...string) error {
	m.Content = slices.Clone(m.Content)
	r := d.repo(name, true)
	r.mu.Lock()
	defer r.mu.Unlock()
	dg := m.Descriptor.Digest
	r.manifests[dg] = m
	r.holds = true
	if m.Subject != "" {
		set := r.referrers[m.Subject]
		if set == nil {
			set = map[digest.Digest]struct{}{}
			r.referrers[m.Subject] = set
		}
		set[dg] = struct{}{}
	}
	for _, t := range tags {
		r.tags[t] = dg
	}
	return nil
}

// ManifestGet implements storage.Driver.
func (d *Driver) ManifestGet(_ context.Context, name string, dg digest.Digest) (storage.Manifest, error) {
	r := d.repo(name, false)
	if r == nil {
		return storage.Manifest{}, storage.ErrManifestUnknown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.manifests[dg]
	if !ok {
		return storage.Manifest{}, storage.ErrManifestUnknown
	}
	return m, nil
}

// ManifestDelete implements storage.Driver.
func (d *Driver) ManifestDelete(_ context.Context, name string, dg digest.Digest) ([]string, error) {
	r := d.repo(name, false)
	if r == nil {
		return nil, storage.ErrManifestUnknown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.manifests[dg]
	if !ok {
		return nil, storage.ErrManifestUnknown
	}
	delete(r.manifests, dg)
	if m.Subject != "" {
		delete(r.referrers[m.Subject], dg)
		if len(r.referrers[m.Subject]) == 0 {
			delete(r.referrers, m.Subject)
		}
	}
	var tags []string
	for t, td := range r.tags {
		if td == dg {
			tags = append(tags, t)
			delete(r.tags, t)
		}
	}
	sort.Strings(tags)
	return tags, nil
}

// TagResolve implements storage.Driver.
func (d *Driver) TagResolve(_ context.Context, name, tag string) (digest.Digest, error) {
	r := d.repo(name, false)
	if r == nil {
		return "", storage.ErrTagUnknown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	dg, ok := r.tags[tag]
	if !ok {
		return "", storage.ErrTagUnknown
	}
	return dg, nil
}

// TagDelete implements storage.Driver.
func (d *Driver) TagDelete(_ context.Context, name, tag string) (digest.Digest, error) {
	r := d.repo(name, false)
	if r == nil {
		return "", storage.ErrTagUnknown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	dg, ok := r.tags[tag]
	if !ok {
		return "", storage.ErrTagUnknown
	}
	delete(r.tags, tag)
	return dg, nil
}

// Tags implements storage.Driver.
func (d *Driver) Tags(_ context.Context, name string) ([]string, error) {
	r := d.repo(name, false)
	if r == nil {
		return nil, storage.ErrRepositoryUnknown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.holds {
		return nil, storage.ErrRepositoryUnknown
	}
	tags := make([]string, 0, len(r.tags))
	for t := range r.tags {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	return tags, nil
}

// Referrers implements storage.Driver.
func (d *Driver) Referrers(_ context.Context, name string, subject digest.Digest) ([]v1.Descriptor, error) {
	r := d.repo(name, false)
	if r == nil {
		return nil, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []v1.Descriptor
	for dg := range r.referrers[subject] {
		out = append(out, r.manifests[dg].Descriptor)
	}
	slices.SortFunc(out, func(a, b v1.Descriptor) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	return out, nil
}

// Repositories implements storage.Driver.
func (d *Driver) Repositories(_ context.Context) ([]string, error) {
	d.reposMu.RLock()
	names := make([]string, 0, len(d.repos))
	rs := make([]*repo, 0, len(d.repos))
	for n, r := range d.repos {
		names = append(names, n)
		rs = append(rs, r)
	}
	d.reposMu.RUnlock()
	out := names[:0]
	for i, r := range rs {
		r.mu.Lock()
		if r.holds {
			out = append(out, names[i])
		}
		r.mu.Unlock()
	}
	sort.Strings(out)
	return out, nil
}
