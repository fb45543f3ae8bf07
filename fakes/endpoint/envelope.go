package endpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hookbench/hookbench/internal/wire"
	"mime"
	"net/http"
	"time"
)

// Media types a receiver accepts: Distribution's and plain JSON.
const (
	MediaTypeEvents = wire.EventsMediaType
	MediaTypeJSON   = "application/json"
)

// event is the part of a Distribution event the ledger keeps.
type event struct {
	ID        string    `json:"id"`
	Timestamp time.Time `json:"timestamp"`
	Action    string    `json:"action"`
	Target    struct {
		MediaType  string `json:"mediaType"`
		Digest     string `json:"digest"`
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
	} `json:"target"`
	// raw is the event as received, kept so the harness can check every field.
	raw json.RawMessage
}

type envelope struct {
	Events *[]json.RawMessage `json:"events"`
}

// parseEnvelope checks the media type and decodes the body; the error says
// what is wrong, for the 400 body.
func parseEnvelope(contentType string, body []byte) ([]event, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("content-type %q: %v", contentType, err)
	}
	if mt != MediaTypeEvents && mt != MediaTypeJSON {
		return nil, fmt.Errorf("content-type %q: want %s or %s", mt, MediaTypeEvents, MediaTypeJSON)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("body: %v", err)
	}
	if env.Events == nil {
		return nil, errors.New(`body: no "events" array`)
	}
	events := make([]event, len(*env.Events))
	for i, raw := range *env.Events {
		e := &events[i]
		if err := json.Unmarshal(raw, e); err != nil {
			return nil, fmt.Errorf("body: events[%d]: %v", i, err)
		}
		if e.ID == "" {
			return nil, fmt.Errorf("body: events[%d] has no id", i)
		}
		e.raw = raw
	}
	return events, nil
}

// badRequest answers a status with a short plain-text reason.
func badRequest(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, err)
}
