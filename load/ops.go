package load

import (
	"fmt"
	"sort"
)

// Self-contained operations: one hit makes what it needs (and owes those
// events too), so any mix of them can run in any order. Each name is also
// the Op of the entries it owes.
const (
	OpUploadMonolithic = "blob-upload-monolithic"  // POST, then PUT ?digest= with the blob
	OpUploadChunked    = "blob-upload-chunked"     // POST, PATCH per chunk, PUT ?digest=
	OpUploadSinglePost = "blob-upload-single-post" // POST ?digest= with the blob
	OpMount            = "blob-mount"              // upload to <prefix>-src, then POST ?mount=&from=
	OpPushByTag        = "manifest-push-by-tag"
	OpPushByDigest     = "manifest-push-by-digest"
	OpPushTags         = "manifest-push-tags" // PUT by digest with three ?tag=
	OpIndexPush        = "index-push"         // an image index over the repository's base manifest
	OpArtifactPush     = "artifact-push"      // an artifact with the base manifest as subject (referrers)
	OpManifestDelete   = "manifest-delete"    // push by tag, DELETE by digest
	OpTagDelete        = "tag-delete"         // push by tag, DELETE by tag
	OpBlobDelete       = "blob-delete"        // upload, DELETE the blob
	OpBlobGet          = "blob-pull-get"
	OpBlobHead         = "blob-pull-head"
	OpManifestGet      = "manifest-pull-get" // by digest
	OpManifestHead     = "manifest-pull-head"

	// OpMixed runs Profile.Mix (default: every operation above, weight 1).
	OpMixed = "mixed"
	// OpSeed names what seeding pushed before the paced hits.
	OpSeed = "seed"
)

// Operations lists the self-contained operations, the default mix.
func Operations() []string {
	return []string{
		OpUploadMonolithic, OpUploadChunked, OpUploadSinglePost, OpMount,
		OpPushByTag, OpPushByDigest, OpPushTags, OpIndexPush, OpArtifactPush,
		OpManifestDelete, OpTagDelete, OpBlobDelete,
		OpBlobGet, OpBlobHead, OpManifestGet, OpManifestHead,
	}
}

// pushTags is how many ?tag= a manifest-push-tags hit sends.
const pushTags = 3

func selfContained(op string) bool {
	for _, o := range Operations() {
		if o == op {
			return true
		}
	}
	return false
}

// owes is how many events one successful hit of op owes an endpoint that
// ignores nothing, on a registry t.
func owes(op string, t Target, p Profile) int {
	switch op {
	case OpUploadMonolithic, OpUploadChunked, OpUploadSinglePost,
		OpPushByTag, OpPushByDigest, OpIndexPush, OpArtifactPush,
		OpBlobGet, OpBlobHead, OpManifestGet, OpManifestHead:
		return 1
	case OpMount, OpTagDelete, OpBlobDelete:
		return 2 // the upload or push it needs, then its own
	case OpPushTags:
		if t.NoTagQuery {
			return 1
		}
		return pushTags // one push event per tag
	case OpManifestDelete:
		if p.NoTagDeleteEvents {
			return 2
		}
		return 3 // push by tag, manifest delete, tag delete
	}
	return 0
}

// seededPerRepo is what seeding pushes per repository for self-contained
// operations: config, layer and empty-config blobs, and the base manifest.
const seededPerRepo = 4

// schedule expands p's mix into the order hits cycle through: operations
// sorted by name, each repeated by its weight.
func (p Profile) schedule() []string {
	if p.Op != OpMixed {
		return []string{p.Op}
	}
	mix := p.Mix
	if len(mix) == 0 {
		mix = map[string]int{}
		for _, o := range Operations() {
			mix[o] = 1
		}
	}
	ops := make([]string, 0, len(mix))
	for o := range mix {
		ops = append(ops, o)
	}
	sort.Strings(ops)
	var out []string
	for _, o := range ops {
		for i := 0; i < mix[o]; i++ {
			out = append(out, o)
		}
	}
	return out
}

func validateMix(mix map[string]int) error {
	total := 0
	for o, w := range mix {
		if !selfContained(o) {
			return fmt.Errorf("load mixed: unknown operation %q in mix (%v)", o, Operations())
		}
		if w < 0 {
			return fmt.Errorf("load mixed: weight of %s is negative", o)
		}
		total += w
	}
	if len(mix) > 0 && total == 0 {
		return fmt.Errorf("load mixed: every weight is 0")
	}
	return nil
}

// OpCounts is how many hits of each operation Count hits of p make.
func (p Profile) OpCounts() map[string]int {
	p = p.withDefaults()
	s := p.schedule()
	out := map[string]int{}
	for n := 0; n < p.Count; n++ {
		out[s[n%len(s)]]++
	}
	return out
}
