package load

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/fakes/endpoint"
)

// Event is one delivered event as a receiver got it, in Distribution's
// wire format (shared/compat). It is decoded independently of the
// registry's own types, so a registry bug cannot hide in shared code.
type Event struct {
	ID        string      `json:"id"`
	Timestamp time.Time   `json:"timestamp"`
	Action    string      `json:"action"`
	Target    EventTarget `json:"target"`
	Request   struct {
		ID        string `json:"id"`
		Addr      string `json:"addr"`
		Host      string `json:"host"`
		Method    string `json:"method"`
		UserAgent string `json:"useragent"`
	} `json:"request"`
	Actor struct {
		Name string `json:"name"`
	} `json:"actor"`
	Source struct {
		Addr       string `json:"addr"`
		InstanceID string `json:"instanceID"`
	} `json:"source"`

	// Partial: only the receiver's summary (id, action, repository,
	// digest, tag, media type) is known, not the body; such an event is
	// compared by identity only.
	Partial bool `json:"-"`
	// DecodeError: the body was recorded but is not a valid event.
	DecodeError string `json:"-"`
}

// EventTarget is what an event is about.
type EventTarget struct {
	MediaType      string          `json:"mediaType"`
	Digest         string          `json:"digest"`
	Size           int64           `json:"size"`
	Length         int64           `json:"length"`
	Repository     string          `json:"repository"`
	FromRepository string          `json:"fromRepository"`
	URL            string          `json:"url"`
	Tag            string          `json:"tag"`
	References     []v1.Descriptor `json:"references"`
}

// EventOf is the event a receiver recorded in d: its whole body when the
// receiver kept it, otherwise the summary (Partial).
func EventOf(d endpoint.Delivery) Event {
	if len(d.Event) == 0 {
		ev := Event{ID: d.ID, Timestamp: d.Timestamp, Action: d.Action, Partial: true}
		ev.Target.Repository, ev.Target.Digest, ev.Target.Tag, ev.Target.MediaType = d.Repository, d.Digest, d.Tag, d.MediaType
		return ev
	}
	var ev Event
	if err := json.Unmarshal(d.Event, &ev); err != nil {
		ev = Event{ID: d.ID, Timestamp: d.Timestamp, Action: d.Action, Partial: true, DecodeError: err.Error()}
		ev.Target.Repository, ev.Target.Digest, ev.Target.Tag, ev.Target.MediaType = d.Repository, d.Digest, d.Tag, d.MediaType
	}
	return ev
}

// Op is the operation named in the event's user agent when the load made
// the request (see userAgent), or "" — so an event nobody owes can still be
// traced to the operation that caused it.
func (ev Event) Op() string {
	_, rest, ok := strings.Cut(ev.Request.UserAgent, "op=")
	if !ok {
		return ""
	}
	op, _, _ := strings.Cut(rest, ";")
	return strings.TrimSpace(op)
}

// String names the event for failure messages.
func (ev Event) String() string {
	op := ev.Op()
	if op == "" {
		op = "no load operation"
	}
	return fmt.Sprintf("%s: %s %s@%s%s id=%s", op, ev.Action, ev.Target.Repository, short(ev.Target.Digest), tagSuffix(ev.Target.Tag), ev.ID)
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

func tagSuffix(t string) string {
	if t == "" {
		return ""
	}
	return ":" + t
}
