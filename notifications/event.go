package notifications

import (
	"github.com/hookbench/hookbench/internal/wire"
	"time"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// EventsMediaType is the Content-Type of every envelope POST.
const EventsMediaType = wire.EventsMediaType

// blobMediaType is the target media type Distribution reports for blobs.
const blobMediaType = "application/octet-stream"

// Event actions, as in Distribution.
const (
	ActionPush   = "push"
	ActionPull   = "pull"
	ActionMount  = "mount"
	ActionDelete = "delete"
)

// Envelope is the body of one webhook POST.
type Envelope struct {
	Events []Event `json:"events"`
}

// Event is one registry event. Its JSON has the keys, nesting and types of
// Distribution's (see shared/compat/envelope-*.json): mediaType, digest and
// size are always present (empty in delete events), the rest only when set.
type Event struct {
	ID        string        `json:"id"`
	Timestamp time.Time     `json:"timestamp"`
	Action    string        `json:"action"`
	Target    Target        `json:"target"`
	Request   RequestRecord `json:"request"`
	Actor     ActorRecord   `json:"actor"`
	Source    SourceRecord  `json:"source"`
}

// Target is what the event is about.
type Target struct {
	MediaType      string          `json:"mediaType"`
	Digest         digest.Digest   `json:"digest"`
	Size           int64           `json:"size"`
	Length         int64           `json:"length,omitempty"`
	Repository     string          `json:"repository,omitempty"`
	FromRepository string          `json:"fromRepository,omitempty"`
	URL            string          `json:"url,omitempty"`
	Tag            string          `json:"tag,omitempty"`
	References     []v1.Descriptor `json:"references,omitempty"`
}

// RequestRecord describes the request that caused the event.
type RequestRecord struct {
	ID        string `json:"id"`
	Addr      string `json:"addr,omitempty"`
	Host      string `json:"host,omitempty"`
	Method    string `json:"method"`
	UserAgent string `json:"useragent"`
}

// ActorRecord is who made the request; {} without authentication.
type ActorRecord struct {
	Name string `json:"name,omitempty"`
}

// SourceRecord is the registry instance that produced the event.
type SourceRecord struct {
	Addr       string `json:"addr,omitempty"`
	InstanceID string `json:"instanceID,omitempty"`
}
