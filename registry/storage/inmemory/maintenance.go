package inmemory

import (
	"context"
	"sort"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/registry/storage"
)

var (
	_ storage.UploadPurger = (*Driver)(nil)
	_ storage.Collectable  = (*Driver)(nil)
)

func (d *Driver) repoNames() []string {
	d.reposMu.RLock()
	defer d.reposMu.RUnlock()
	names := make([]string, 0, len(d.repos))
	for n := range d.repos {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PurgeUploads implements storage.UploadPurger.
func (d *Driver) PurgeUploads(_ context.Context, cutoff time.Time, dryRun bool) ([]storage.Upload, error) {
	var out []storage.Upload
	for _, name := range d.repoNames() {
		r := d.repo(name, false)
		r.mu.Lock()
		for id, at := range r.started {
			buf, ok := r.uploads[id]
			switch {
			case !ok:
				delete(r.started, id)
			case at.Before(cutoff):
				out = append(out, storage.Upload{Repository: name, ID: id, Started: at, Size: int64(buf.Len())})
				if !dryRun {
					delete(r.uploads, id)
					delete(r.started, id)
				}
			}
		}
		r.mu.Unlock()
	}
	return out, nil
}

// WalkManifests implements storage.Collectable.
func (d *Driver) WalkManifests(ctx context.Context, fn func(repo string, m storage.Manifest, tags []string) error) error {
	for _, name := range d.repoNames() {
		r := d.repo(name, false)
		r.mu.Lock()
		byDigest := map[digest.Digest][]string{}
		for t, dg := range r.tags {
			byDigest[dg] = append(byDigest[dg], t)
		}
		ms := make([]storage.Manifest, 0, len(r.manifests))
		for _, m := range r.manifests {
			ms = append(ms, m)
		}
		r.mu.Unlock()
		for _, m := range ms {
			if err := ctx.Err(); err != nil {
				return err
			}
			tags := byDigest[m.Descriptor.Digest]
			sort.Strings(tags)
			if err := fn(name, m, tags); err != nil {
				return err
			}
		}
	}
	return nil
}

// WalkBlobs implements storage.Collectable.
func (d *Driver) WalkBlobs(_ context.Context, fn func(digest.Digest, int64) error) error {
	d.blobsMu.RLock()
	sizes := make(map[digest.Digest]int64, len(d.blobs))
	for dg, b := range d.blobs {
		sizes[dg] = int64(len(b))
	}
	d.blobsMu.RUnlock()
	for dg, n := range sizes {
		if err := fn(dg, n); err != nil {
			return err
		}
	}
	return nil
}

// RemoveBlobs implements storage.Collectable.
func (d *Driver) RemoveBlobs(_ context.Context, ds []digest.Digest) error {
	for _, name := range d.repoNames() {
		r := d.repo(name, false)
		r.mu.Lock()
		for _, dg := range ds {
			delete(r.layers, dg)
		}
		r.mu.Unlock()
	}
	d.blobsMu.Lock()
	defer d.blobsMu.Unlock()
	for _, dg := range ds {
		delete(d.blobs, dg)
	}
	return nil
}
