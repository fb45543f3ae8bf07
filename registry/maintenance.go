package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/registry/storage"
)

// WithReadOnly answers every write (upload, manifest or tag push, delete)
// with 405 UNSUPPORTED while pulls go on (storage.maintenance.readonly).
// Distribution answers 405 too, from its router; here the body is the
// spec's error JSON.
func WithReadOnly(enabled bool) Option { return func(r *Registry) { r.readOnly = enabled } }

// readOnlyRefused answers a write in read-only mode, and reports whether it did.
func (q *request) readOnlyRefused() bool {
	if !q.reg.readOnly || q.r.Method == http.MethodGet || q.r.Method == http.MethodHead {
		return false
	}
	q.w.Header().Set("Allow", "GET, HEAD")
	writeError(q.w, errUnsupported, "the registry is read-only (storage.maintenance.readonly.enabled)", map[string]string{"method": q.r.Method})
	return true
}

// PurgeUploads removes the uploads of d started more than age ago (with
// dryRun it only lists them), as storage.maintenance.uploadpurging does.
func PurgeUploads(ctx context.Context, d storage.Driver, age time.Duration, dryRun bool) ([]storage.Upload, error) {
	p, ok := d.(storage.UploadPurger)
	if !ok {
		return nil, fmt.Errorf("registry: storage driver %T cannot purge uploads", d)
	}
	return p.PurgeUploads(ctx, time.Now().Add(-age), dryRun)
}

// RunUploadPurger purges every interval until ctx ends, logging what it
// did; the first purge runs at once.
func RunUploadPurger(ctx context.Context, d storage.Driver, age, interval time.Duration, dryRun bool, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		purged, err := PurgeUploads(ctx, d, age, dryRun)
		if err != nil && ctx.Err() == nil {
			log.Error("upload purging failed", "err", err)
		}
		for _, u := range purged {
			log.Info("upload purged", "repository", u.Repository, "uuid", u.ID, "started", u.Started, "size", u.Size, "dryrun", dryRun)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// GCOptions are garbage-collect's flags.
type GCOptions struct {
	DryRun         bool // report, remove nothing
	DeleteUntagged bool // also delete manifests no tag reaches (see GarbageCollect)
	Log            *slog.Logger
}

// GCResult is what a collection found.
type GCResult struct {
	Manifests        int             // manifests walked
	DeletedManifests []string        // repo@digest of untagged manifests deleted
	Blobs            int             // blobs in the store
	Kept             int             // blobs still referenced
	Swept            []digest.Digest // blobs removed (or, dry, to remove)
	SweptBytes       int64
}

// GarbageCollect marks every blob that a kept manifest references (config,
// layers, and the manifest's own digest) and removes every other blob from
// the store and from every repository. Without DeleteUntagged every stored
// manifest is kept. With it, a manifest is kept when a tag points at it,
// when a kept index lists it, or when its subject is kept (a signature or
// SBOM stays with its image); the others are deleted first.
//
// It must run with no writer at work: the registry stopped, or in
// read-only mode. A push meanwhile could reference a blob already judged
// unreferenced.
func GarbageCollect(ctx context.Context, d storage.Driver, o GCOptions) (GCResult, error) {
	var res GCResult
	c, ok := d.(storage.Collectable)
	if !ok {
		return res, fmt.Errorf("registry: storage driver %T cannot be garbage collected", d)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	type node struct {
		blobs, children []digest.Digest
		subject         digest.Digest
		tagged          bool
	}
	type ref struct {
		repo string
		dg   digest.Digest
	}
	nodes := map[ref]*node{}
	err := c.WalkManifests(ctx, func(repo string, m storage.Manifest, tags []string) error {
		res.Manifests++
		n := &node{tagged: len(tags) > 0, subject: m.Subject}
		p, err := parseManifest(m.Descriptor.MediaType, m.Content)
		if err != nil {
			// Stored once, so it parsed then: refuse to guess what it references.
			return fmt.Errorf("manifest %s@%s: %w", repo, m.Descriptor.Digest, err)
		}
		for _, b := range p.Blobs {
			n.blobs = append(n.blobs, b.Digest)
		}
		for _, ch := range p.Children {
			n.children = append(n.children, ch.Digest)
		}
		nodes[ref{repo, m.Descriptor.Digest}] = n
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("registry: marking: %w", err)
	}

	kept := map[ref]bool{}
	if o.DeleteUntagged {
		// Roots are tagged manifests; keeping spreads to index children and
		// to referrers of kept subjects, until nothing changes.
		var queue []ref
		keep := func(r ref) {
			if _, ok := nodes[r]; ok && !kept[r] {
				kept[r] = true
				queue = append(queue, r)
			}
		}
		bySubject := map[ref][]ref{}
		for r, n := range nodes {
			if n.subject != "" {
				s := ref{r.repo, n.subject}
				bySubject[s] = append(bySubject[s], r)
			}
			if n.tagged {
				keep(r)
			}
		}
		for len(queue) > 0 {
			r := queue[0]
			queue = queue[1:]
			for _, ch := range nodes[r].children {
				keep(ref{r.repo, ch})
			}
			for _, a := range bySubject[r] {
				keep(a)
			}
		}
		var doomed []ref
		for r := range nodes {
			if !kept[r] {
				doomed = append(doomed, r)
			}
		}
		slices.SortFunc(doomed, func(a, b ref) int {
			if a.repo != b.repo {
				return strings.Compare(a.repo, b.repo)
			}
			return strings.Compare(string(a.dg), string(b.dg))
		})
		for _, r := range doomed {
			res.DeletedManifests = append(res.DeletedManifests, r.repo+"@"+string(r.dg))
			log.Info("untagged manifest", "repository", r.repo, "digest", r.dg, "dryrun", o.DryRun)
			if o.DryRun {
				continue
			}
			if _, err := d.ManifestDelete(ctx, r.repo, r.dg); err != nil && !errors.Is(err, storage.ErrManifestUnknown) {
				return res, fmt.Errorf("registry: deleting %s@%s: %w", r.repo, r.dg, err)
			}
		}
	} else {
		for r := range nodes {
			kept[r] = true
		}
	}

	marked := map[digest.Digest]bool{}
	for r, n := range nodes {
		if !kept[r] {
			continue
		}
		marked[r.dg] = true // a manifest pushed as a blob too stays
		for _, b := range n.blobs {
			marked[b] = true
		}
	}
	err = c.WalkBlobs(ctx, func(dg digest.Digest, size int64) error {
		res.Blobs++
		if marked[dg] {
			res.Kept++
			return nil
		}
		res.Swept = append(res.Swept, dg)
		res.SweptBytes += size
		log.Info("unreferenced blob", "digest", dg, "size", size, "dryrun", o.DryRun)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("registry: walking blobs: %w", err)
	}
	slices.Sort(res.Swept)
	if o.DryRun || len(res.Swept) == 0 {
		return res, nil
	}
	if err := c.RemoveBlobs(ctx, res.Swept); err != nil {
		return res, fmt.Errorf("registry: sweeping: %w", err)
	}
	return res, nil
}
