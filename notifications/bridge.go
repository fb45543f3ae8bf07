package notifications

import (
	"strings"
	"time"

	"github.com/google/uuid"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry"
)

// bridge turns the registry's Actions into Events, filling in what
// Distribution fills in for each kind of action.
type bridge struct {
	source            SourceRecord
	baseURL           string // optional scheme://host overriding the request's
	includeReferences bool
	now               func() time.Time
}

// event makes the Event for one Action. Each Action is one event: the
// registry already reports a manifest delete and each of its tags separately.
func (b *bridge) event(a registry.Action) Event {
	e := Event{
		ID:        newID(),
		Timestamp: b.now().UTC(),
		Action:    string(a.Verb),
		Request: RequestRecord{
			ID:        a.Request.ID,
			Addr:      a.Request.Addr,
			Host:      a.Request.Host,
			Method:    a.Request.Method,
			UserAgent: a.Request.UserAgent,
		},
		Actor:  ActorRecord{Name: a.User},
		Source: b.source,
	}
	t := &e.Target
	t.Repository = a.Repository
	if a.Verb == registry.Delete {
		// Distribution's delete events carry only what identifies the
		// object: digest (empty for a tag), tag and repository.
		t.Digest = a.Descriptor.Digest
		t.Tag = a.Tag
		return e
	}
	t.MediaType = a.Descriptor.MediaType
	t.Digest = a.Descriptor.Digest
	t.Size = a.Descriptor.Size
	t.Length = a.Descriptor.Size
	t.Tag = a.Tag
	switch a.Object {
	case registry.Blob:
		if t.MediaType == "" {
			t.MediaType = blobMediaType
		}
		t.URL = b.objectURL(a, "blobs")
		if a.Verb == registry.Mount {
			t.FromRepository = a.FromRepository
		}
	default:
		t.URL = b.objectURL(a, "manifests")
		if b.includeReferences && len(a.References) > 0 {
			t.References = append([]v1.Descriptor(nil), a.References...)
		}
	}
	return e
}

// objectURL is the digest URL of the object, as Distribution builds it from
// the request's scheme and host.
func (b *bridge) objectURL(a registry.Action, kind string) string {
	base := b.baseURL
	if base == "" {
		if a.Request.Host == "" {
			return ""
		}
		scheme := a.Request.Scheme
		if scheme == "" {
			scheme = "http"
		}
		base = scheme + "://" + a.Request.Host
	}
	return strings.TrimSuffix(base, "/") + "/v2/" + a.Repository + "/" + kind + "/" + a.Descriptor.Digest.String()
}

// newID returns a time-ordered UUID (v7), as Distribution's ids are.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil { // only if the random source fails; still unique in-process
		return uuid.NewSHA1(uuid.NameSpaceOID, []byte(time.Now().String())).String()
	}
	return id.String()
}
