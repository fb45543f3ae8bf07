package notifications

import (
	"fmt"
	"net/http"
	"reflect"
	"time"
)

// Config is the pipeline's settings: what goes into every event and the
// endpoints to deliver to. The app package fills it from the config
// package's types, field by field of the same name; the config package
// validates files, New only refuses what it cannot build.
type Config struct {
	Events    EventsConfig
	Endpoints []EndpointConfig // enabled ones only
}

// EventsConfig says what goes into every event.
type EventsConfig struct {
	IncludeReferences bool // manifest events list the descriptors the manifest references
}

// EndpointConfig is one webhook receiver: Distribution's settings, then
// this project's opt-in Delivery. Zero Timeout, Threshold and Backoff
// mean Distribution's defaults (DefaultTimeout, DefaultThreshold,
// DefaultBackoff).
type EndpointConfig struct {
	Name              string
	URL               string
	Headers           http.Header // sent with every POST; redacted in Vars
	Timeout           time.Duration
	Threshold         int           // failures in a row before waiting Backoff between attempts
	Backoff           time.Duration // wait between attempts after Threshold failures in a row
	IgnoredMediaTypes []string      // Distribution's older spelling of Ignore.MediaTypes; both apply
	Ignore            Ignore

	Delivery // zero: Distribution's behaviour
}

// Ignore drops events before they are queued: events whose target has one
// of MediaTypes, or whose action is one of Actions (push, pull, mount,
// delete).
type Ignore struct {
	MediaTypes []string
	Actions    []string
}

// Distribution's defaults for zero EndpointConfig values.
const (
	DefaultTimeout   = time.Second
	DefaultThreshold = 10
	DefaultBackoff   = time.Second
)

func (c EndpointConfig) withDefaults() EndpointConfig {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.Backoff == 0 {
		c.Backoff = DefaultBackoff
	}
	return c
}

// EndpointError is why New could not start an endpoint, e.g. a disk queue
// file that cannot be opened. Setting is the Go path of the EndpointConfig
// field at fault ("Queue.Path", "Signing.Secrets[1]"), so that a caller
// can name the key its own configuration calls it.
type EndpointError struct {
	Endpoint string
	Setting  string
	Err      error
}

func (e *EndpointError) Error() string {
	return fmt.Sprintf("notifications: endpoint %q: %s: %v", e.Endpoint, e.Setting, e.Err)
}

func (e *EndpointError) Unwrap() error { return e.Err }

// unset reports whether v holds nothing: zero values, empty lists and
// maps, structs of such.
func unset(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	case reflect.Struct:
		for i := range v.NumField() {
			if !unset(v.Field(i)) {
				return false
			}
		}
		return true
	}
	return v.IsZero()
}
