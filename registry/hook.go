package registry

import (
	"context"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Verb is what happened to an object, in Distribution's event vocabulary.
type Verb string

const (
	Push   Verb = "push"
	Pull   Verb = "pull"
	Mount  Verb = "mount"
	Delete Verb = "delete"
)

// Object is the kind of thing an Action is about.
type Object string

const (
	Blob     Object = "blob"
	Manifest Object = "manifest"
	Tag      Object = "tag"
)

// RequestInfo describes the HTTP request that caused an Action.
type RequestInfo struct {
	ID        string // request id, also logged
	Addr      string // remote address (host:port)
	Host      string // Host header
	Method    string
	UserAgent string
	Scheme    string // "http" or "https", for building target URLs
}

// Action is one thing the registry did, reported only after storage succeeded.
//
// For a blob: Descriptor is the blob (MediaType empty for blobs; the bridge
// uses application/octet-stream as Distribution does). For a manifest:
// Descriptor is the manifest, References its config/layers or child
// manifests. For a tag delete: Descriptor.Digest may be empty.
type Action struct {
	Verb           Verb
	Object         Object
	Repository     string
	FromRepository string // mount only
	Tag            string // manifest pushed/pulled by tag, or the deleted tag
	Descriptor     v1.Descriptor
	References     []v1.Descriptor
	Request        RequestInfo
	User           string // authenticated user name; empty without auth
}

// Listener receives Actions. It is called synchronously on the request path,
// so an implementation must not block (the notifications pipeline only
// enqueues). A registry built without a Listener does no work for events.
type Listener interface {
	Notify(ctx context.Context, a Action)
}

// StoringListener is a Listener that can fail to keep an Action's event:
// one whose queue is durable (on disk) and cannot store it. For requests
// that change the registry (push, mount, delete) the registry calls
// NotifyStored with all of the request's Actions before it answers, and
// an error turns the answer into 503 UNAVAILABLE: no success is reported
// for a change whose events were not kept. What was stored stays stored,
// and the same request can be retried. Pulls use Notify.
type StoringListener interface {
	Listener
	NotifyStored(ctx context.Context, actions ...Action) error
}

// ListenerFunc adapts a function to Listener.
type ListenerFunc func(ctx context.Context, a Action)

// Notify calls f.
func (f ListenerFunc) Notify(ctx context.Context, a Action) { f(ctx, a) }
