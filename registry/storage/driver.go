// Package storage defines the seam between the registry's HTTP API and where
// its content lives. Drivers store blobs content-addressed and shared by all
// repositories, with per-repository links, so a cross-repository mount is a
// new link and a delete removes only the repository's link (as in CNCF
// Distribution; nothing is garbage collected).
//
// Every repository name, tag, upload id and digest a driver receives has
// already been validated by the caller (see the registry package); drivers
// still never build a path from anything else.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker media types (image-spec has only the OCI ones), for the drivers
// and the API alike.
const (
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"
)

// IsSHA256 reports whether s is a sha256 digest in canonical form:
// "sha256:" and 64 lower-case hex digits. Nearly every digest is one, so
// the API and the drivers check this first, without go-digest's regexps.
func IsSHA256(s string) bool {
	const prefix = "sha256:"
	if len(s) != len(prefix)+64 || s[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Driver stores blobs, upload sessions, manifests and tags. Implementations
// must be safe for concurrent use.
type Driver interface {
	// BlobStat returns the size of a blob linked into repo.
	BlobStat(ctx context.Context, repo string, d digest.Digest) (int64, error)
	// BlobOpen opens a blob linked into repo for reading.
	BlobOpen(ctx context.Context, repo string, d digest.Digest) (io.ReadSeekCloser, int64, error)
	// BlobDelete removes repo's link to a blob.
	BlobDelete(ctx context.Context, repo string, d digest.Digest) error
	// BlobMount links a blob that is linked into from into repo as well;
	// an empty from means any blob the store holds.
	BlobMount(ctx context.Context, from, repo string, d digest.Digest) (int64, error)
	// BlobPut stores r as blob d and links it into repo, verifying the
	// digest (ErrDigestMismatch) before anything becomes visible.
	BlobPut(ctx context.Context, repo string, d digest.Digest, r io.Reader) (int64, error)

	// UploadStart opens a new upload session and returns its id (a UUID).
	UploadStart(ctx context.Context, repo string) (string, error)
	// UploadSize returns the number of bytes received so far.
	UploadSize(ctx context.Context, repo, id string) (int64, error)
	// UploadWrite appends r to an upload. offset is where the caller
	// believes the upload ends; a different size is a *RangeError. A
	// negative offset appends wherever the upload ends. It returns the new
	// size, also when reading r failed part way.
	UploadWrite(ctx context.Context, repo, id string, offset int64, r io.Reader) (int64, error)
	// UploadCommit turns a finished upload into blob d linked into repo,
	// or fails with ErrDigestMismatch and leaves the upload as it was.
	UploadCommit(ctx context.Context, repo, id string, d digest.Digest) (int64, error)
	// UploadCancel discards an upload.
	UploadCancel(ctx context.Context, repo, id string) error

	// ManifestPut stores a manifest in repo and points tags at it.
	ManifestPut(ctx context.Context, repo string, m Manifest, tags ...string) error
	// ManifestGet returns a manifest of repo, with its content.
	ManifestGet(ctx context.Context, repo string, d digest.Digest) (Manifest, error)
	// ManifestDelete removes a manifest from repo together with every tag
	// that pointed at it, and returns those tags.
	ManifestDelete(ctx context.Context, repo string, d digest.Digest) ([]string, error)

	// TagResolve returns the digest a tag points at.
	TagResolve(ctx context.Context, repo, tag string) (digest.Digest, error)
	// TagDelete removes a tag and returns the digest it pointed at.
	TagDelete(ctx context.Context, repo, tag string) (digest.Digest, error)
	// Tags lists repo's tags in lexical order (ErrRepositoryUnknown when
	// repo has never held anything).
	Tags(ctx context.Context, repo string) ([]string, error)

	// Referrers lists the manifests of repo whose subject is d.
	Referrers(ctx context.Context, repo string, d digest.Digest) ([]v1.Descriptor, error)
	// Repositories lists every repository holding a manifest or blob, in
	// lexical order.
	Repositories(ctx context.Context) ([]string, error)
}

// Manifest is a stored manifest. Descriptor is how it appears in a
// referrers list: MediaType, Digest, Size, ArtifactType, Annotations.
type Manifest struct {
	Descriptor v1.Descriptor
	Subject    digest.Digest // empty without a subject
	Content    []byte
}

// Errors a Driver returns; callers test with errors.Is / errors.As.
var (
	ErrBlobUnknown       = errors.New("blob unknown")
	ErrManifestUnknown   = errors.New("manifest unknown")
	ErrTagUnknown        = errors.New("tag unknown")
	ErrUploadUnknown     = errors.New("upload unknown")
	ErrRepositoryUnknown = errors.New("repository unknown")
	ErrDigestMismatch    = errors.New("content does not match digest")
	// ErrUnavailable wraps failures a retry may cure (the store is down
	// or overloaded); the registry answers them 503 UNAVAILABLE.
	ErrUnavailable = errors.New("storage unavailable")
)

// RangeError reports a chunk that does not start where the upload ends.
type RangeError struct {
	Size int64 // bytes the upload holds
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("chunk does not start at the end of the upload (%d bytes)", e.Size)
}

// Upload is an upload session as maintenance sees it.
type Upload struct {
	Repository string
	ID         string
	Started    time.Time
	Size       int64
}

// UploadPurger is implemented by drivers that can remove abandoned
// uploads (storage.maintenance.uploadpurging).
type UploadPurger interface {
	// PurgeUploads removes the uploads started before cutoff and returns
	// them; with dryRun it only returns them.
	PurgeUploads(ctx context.Context, cutoff time.Time, dryRun bool) ([]Upload, error)
}

// Collectable is implemented by drivers that garbage collection can walk
// and sweep. Collection runs with no writer at work (the registry stopped,
// or read-only).
type Collectable interface {
	// WalkManifests calls fn for every manifest of every repository with
	// the tags pointing at it. fn must not write to the driver.
	WalkManifests(ctx context.Context, fn func(repo string, m Manifest, tags []string) error) error
	// WalkBlobs calls fn for every blob the store holds.
	WalkBlobs(ctx context.Context, fn func(d digest.Digest, size int64) error) error
	// RemoveBlobs removes blobs from the store and from every repository.
	RemoveBlobs(ctx context.Context, ds []digest.Digest) error
}
