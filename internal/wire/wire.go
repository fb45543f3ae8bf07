// Package wire holds the words of Distribution's notification wire format
// that the registry's pipeline and the fake receiver both speak, so each has
// one home: the envelope's media type and the status key of the counters.
package wire

import (
	"net/http"
	"strconv"
)

// EventsMediaType is the Content-Type of a webhook POST's envelope.
const EventsMediaType = "application/vnd.docker.distribution.events.v2+json"

// StatusKey is how Distribution keys an answered attempt in Statuses:
// "<code> <StatusText>", e.g. "500 Internal Server Error".
func StatusKey(code int) string { return strconv.Itoa(code) + " " + http.StatusText(code) }
