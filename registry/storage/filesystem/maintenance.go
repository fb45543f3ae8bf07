package filesystem

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/registry/storage"
)

var (
	_ storage.UploadPurger = (*Driver)(nil)
	_ storage.Collectable  = (*Driver)(nil)
)

// walkRepoDirs calls fn with the path and name of every directory called
// special (_uploads, _layers) under repositories/, without descending into
// those directories or any other of a repository's own.
func (d *Driver) walkRepoDirs(ctx context.Context, special string, fn func(dir, repo string) error) error {
	base := filepath.Join(d.root, "repositories")
	return filepath.WalkDir(base, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.IsDir() || path == base || !strings.HasPrefix(e.Name(), "_") {
			return nil
		}
		if e.Name() == special {
			rel, err := filepath.Rel(base, filepath.Dir(path))
			if err != nil {
				return err
			}
			if err := fn(path, filepath.ToSlash(rel)); err != nil {
				return err
			}
		}
		return fs.SkipDir
	})
}

// PurgeUploads implements storage.UploadPurger. An upload's start is the
// one kept in its hash state (its file's time when unreadable); empty
// sessions, which have no file, are dropped from memory.
func (d *Driver) PurgeUploads(ctx context.Context, cutoff time.Time, dryRun bool) ([]storage.Upload, error) {
	if d.readOnly && !dryRun {
		return nil, errReadOnly
	}
	var out []storage.Upload
	d.pendingMu.Lock()
	for id, p := range d.pending {
		if p.started.Before(cutoff) {
			out = append(out, storage.Upload{Repository: p.repo, ID: id, Started: p.started})
			if !dryRun {
				delete(d.pending, id)
			}
		}
	}
	d.pendingMu.Unlock()
	err := d.walkRepoDirs(ctx, "_uploads", func(dir, repo string) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			id := e.Name()
			if e.IsDir() || strings.HasPrefix(id, ".") || strings.HasSuffix(id, ".state") {
				continue
			}
			u, ok := d.purgeOne(dir, repo, id, cutoff, dryRun)
			if ok {
				out = append(out, u)
			}
		}
		return nil
	})
	return out, err
}

func (d *Driver) purgeOne(dir, repo, id string, cutoff time.Time, dryRun bool) (storage.Upload, bool) {
	defer d.lock(id)()
	path := filepath.Join(dir, id)
	fi, err := os.Stat(path)
	if err != nil {
		return storage.Upload{}, false // committed or cancelled meanwhile
	}
	started := fi.ModTime()
	if st := loadHashState(path); st != nil {
		started = st.started
	}
	if !started.Before(cutoff) {
		return storage.Upload{}, false
	}
	if !dryRun {
		os.Remove(statePath(path))
		if err := os.Remove(path); err != nil {
			return storage.Upload{}, false
		}
	}
	return storage.Upload{Repository: repo, ID: id, Started: started, Size: fi.Size()}, true
}

// WalkManifests implements storage.Collectable.
func (d *Driver) WalkManifests(ctx context.Context, fn func(repo string, m storage.Manifest, tags []string) error) error {
	return d.ix.walk(func(repo string, m storage.Manifest, tags []string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(repo, m, tags)
	})
}

// WalkBlobs implements storage.Collectable.
func (d *Driver) WalkBlobs(ctx context.Context, fn func(digest.Digest, int64) error) error {
	base := filepath.Join(d.root, "blobs")
	return filepath.WalkDir(base, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			return nil
		}
		alg := filepath.Base(filepath.Dir(filepath.Dir(path)))
		dg := digest.NewDigestFromEncoded(digest.Algorithm(alg), e.Name())
		if dg.Validate() != nil {
			return nil // not a blob of ours
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		return fn(dg, fi.Size())
	})
}

// RemoveBlobs implements storage.Collectable: the repositories' links go
// first (they are hard links: the space is free once all names are gone).
// It works on a read-only driver too: collection beside a read-only
// registry reads the index and removes only blob files.
func (d *Driver) RemoveBlobs(ctx context.Context, ds []digest.Digest) error {
	err := d.walkRepoDirs(ctx, "_layers", func(dir, _ string) error {
		for _, dg := range ds {
			err := os.Remove(filepath.Join(dir, string(dg.Algorithm()), dg.Encoded()))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, dg := range ds {
		if err := os.Remove(d.blobPath(dg)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
