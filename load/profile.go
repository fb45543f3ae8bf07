package load

import (
	"fmt"
	"time"
)

// Operation kinds a Profile can drive: these four, which act on what
// seeding made, and the self-contained ones in ops.go (and OpMixed).
const (
	OpManifestPush = "manifest-push" // PUT manifest by tag over blobs seeded first
	OpBlobPush     = "blob-push"     // blob upload, single-request or two-step
	OpPull         = "pull"          // GET (or HEAD) manifest by digest of seeded manifests
	OpDelete       = "delete"        // DELETE manifest by digest of seeded manifests, each once
)

// Profile is one load phase, bounded by Count, Duration or both.
type Profile struct {
	Op           string        `json:"op" yaml:"op"`
	Repositories int           `json:"repositories,omitempty" yaml:"repositories,omitempty"` // spread hits over this many repositories (default 1)
	RepoPrefix   string        `json:"repoPrefix,omitempty" yaml:"repoPrefix,omitempty"`     // default "hookbench/load"
	Pacing       Pacing        `json:"pacing" yaml:"pacing,omitempty"`
	Count        int           `json:"count,omitempty" yaml:"count,omitempty"`       // stop after this many hits
	Duration     time.Duration `json:"duration,omitempty" yaml:"duration,omitempty"` // stop after this long
	Workers      uint64        `json:"workers,omitempty" yaml:"workers,omitempty"`   // initial workers (default 4)
	MaxWorkers   uint64        `json:"maxWorkers,omitempty" yaml:"maxWorkers,omitempty"`
	BlobSize     int           `json:"blobSize,omitempty" yaml:"blobSize,omitempty"` // bytes (default 256)
	// Upload: "single" (POST ?digest= with body, one request), "two-step"
	// (POST then PUT), or "" to follow the registry's capability.
	Upload string `json:"upload,omitempty" yaml:"upload,omitempty"`
	// Method for pulls: GET (default) or HEAD.
	Method string `json:"method,omitempty" yaml:"method,omitempty"`
	// Manifests seeded for pull load (default 1 per repository).
	PullManifests int `json:"pullManifests,omitempty" yaml:"pullManifests,omitempty"`
	// Distinct, for manifest-push: cycle through this many distinct
	// manifests (and tags) per repository; 0 = every push unique. Hit n
	// goes to repository n % Repositories and PUTs manifest and tag
	// (n / Repositories) % Distinct there, so the registry's storage stays
	// constant while every PUT still owes one push event.
	Distinct int `json:"distinct,omitempty" yaml:"distinct,omitempty"`
	// NoTagDeleteEvents: a manifest DELETE by digest does not also produce a
	// tag delete event (Distribution does produce one per tag).
	NoTagDeleteEvents bool `json:"noTagDeleteEvents,omitempty" yaml:"noTagDeleteEvents,omitempty"`
	// Timeout of one hit, every request of the operation (default 10s).
	Timeout time.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// Mix, for op "mixed": weight of each self-contained operation (see
	// Operations; default every one, weight 1). Hit n runs the operation
	// at n modulo the total weight, operations sorted by name.
	Mix map[string]int `json:"mix,omitempty" yaml:"mix,omitempty"`
	// Chunks: PATCH requests of a chunked upload (default 3).
	Chunks int `json:"chunks,omitempty" yaml:"chunks,omitempty"`
}

// Validate reports what is wrong with p.
func (p Profile) Validate() error {
	switch {
	case p.Op == OpManifestPush, p.Op == OpBlobPush, p.Op == OpPull, p.Op == OpDelete, selfContained(p.Op):
	case p.Op == OpMixed:
		if err := validateMix(p.Mix); err != nil {
			return err
		}
	default:
		return fmt.Errorf("load: unknown op %q (manifest-push, blob-push, pull, delete, mixed, %v)", p.Op, Operations())
	}
	if len(p.Mix) > 0 && p.Op != OpMixed {
		return fmt.Errorf("load %s: mix applies to op mixed only", p.Op)
	}
	if p.Chunks < 0 {
		return fmt.Errorf("load %s: chunks %d is negative", p.Op, p.Chunks)
	}
	if p.Count <= 0 && p.Duration <= 0 {
		return fmt.Errorf("load %s: needs count or duration: every load is bounded", p.Op)
	}
	if p.Op == OpDelete && p.Count <= 0 {
		return fmt.Errorf("load delete: needs count (that many manifests are seeded then deleted)")
	}
	if p.Count < 0 || p.Repositories < 0 || p.BlobSize < 0 || p.PullManifests < 0 {
		return fmt.Errorf("load %s: negative count, repositories, blobSize or pullManifests", p.Op)
	}
	if p.Distinct < 0 {
		return fmt.Errorf("load %s: distinct %d is negative", p.Op, p.Distinct)
	}
	if p.Distinct > 0 && p.Op != OpManifestPush {
		return fmt.Errorf("load %s: distinct applies to manifest-push only", p.Op)
	}
	switch p.Upload {
	case "", "single", "two-step":
	default:
		return fmt.Errorf("load: unknown upload %q (single, two-step)", p.Upload)
	}
	switch p.Method {
	case "", "GET", "HEAD":
	default:
		return fmt.Errorf("load pull: method %q (GET or HEAD)", p.Method)
	}
	if p.Pacing.Rate == 0 && p.MaxWorkers == 0 && p.Pacing.Shape != "linear" {
		// unlimited rate: workers bound it
		return nil
	}
	_, err := p.Pacing.Pacer()
	return err
}

func (p Profile) withDefaults() Profile {
	if p.Repositories == 0 {
		p.Repositories = 1
	}
	if p.RepoPrefix == "" {
		p.RepoPrefix = "hookbench/load"
	}
	if p.Workers == 0 {
		p.Workers = 4
	}
	if p.MaxWorkers == 0 {
		p.MaxWorkers = 64
		if p.Pacing.Rate == 0 && p.Pacing.Shape == "" {
			p.MaxWorkers = p.Workers
		}
	}
	if p.BlobSize == 0 {
		p.BlobSize = 256
	}
	if p.Method == "" {
		p.Method = "GET"
	}
	if p.PullManifests == 0 {
		p.PullManifests = 1
	}
	if p.Timeout == 0 {
		p.Timeout = 10 * time.Second
	}
	if p.Chunks == 0 {
		p.Chunks = 3
	}
	return p
}

// Expected is the number of events Count hits of p owe each endpoint that
// ignores nothing (seeding included), on our registry. Duration-bounded
// loads return -1.
func (p Profile) Expected() int { return p.ExpectedOn(Target{SingleRequestUpload: true}) }

// ExpectedOn is Expected on a registry with t's declared differences.
func (p Profile) ExpectedOn(t Target) int {
	p = p.withDefaults()
	if p.Count <= 0 {
		return -1
	}
	if p.Op == OpMixed || selfContained(p.Op) {
		n := seededPerRepo * p.Repositories
		for op, hits := range p.OpCounts() {
			n += hits * owes(op, t, p)
		}
		return n
	}
	switch p.Op {
	case OpManifestPush:
		return 2*p.Repositories + p.Count
	case OpBlobPush:
		return p.Count
	case OpPull:
		return 2*p.Repositories + p.PullManifests*p.Repositories + p.Count
	case OpDelete:
		per := 2
		if p.NoTagDeleteEvents {
			per = 1
		}
		return 2*p.Repositories + p.Count + per*p.Count
	}
	return -1
}
