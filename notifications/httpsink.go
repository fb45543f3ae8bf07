package notifications

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hookbench/hookbench/internal/redact"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// httpSink POSTs events to one endpoint URL, a new request per attempt,
// and tells the listener how each attempt went. It does not retry.
//
// Only a 2xx answer delivers. Its client never follows redirects (see
// noRedirects): a 3xx is a failed attempt, except that a 307 or 308 to the
// same origin is followed here, once, with the same body and headers.
// Endpoint headers and signatures therefore never reach another origin.
type httpSink struct {
	url      string
	target   *url.URL // url parsed; its origin bounds where a redirect may go
	headers  http.Header
	client   *http.Client // Timeout is the endpoint's whole-request timeout
	listener metricsListener
	signer   *signer // nil: unsigned, as Distribution
	now      func() time.Time
}

// noRedirects is the client's CheckRedirect: the last response is
// returned as it is, whatever the client was configured with.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// errStatus is an attempt answered with a status that is not success.
type errStatus struct {
	code       int
	status     string
	location   string        // a 3xx's Location, redacted
	retryAfter time.Duration // from Retry-After on 429 or 503 (0: none)
}

func (e errStatus) Error() string {
	s := "response status " + e.status + " unaccepted"
	if e.location != "" {
		s += " (Location: " + e.location + ", not followed)"
	}
	return s
}

func (h *httpSink) String() string { return fmt.Sprintf("httpSink{%s}", redact.URL(h.url)) }

func (h *httpSink) Write(ctx context.Context, events ...Event) error {
	body, err := json.Marshal(Envelope{Events: events})
	if err != nil {
		return fmt.Errorf("%v: encoding events: %w", h, err)
	}
	resp, err := h.post(ctx, h.target, body, events)
	if err == nil && (resp.StatusCode == http.StatusTemporaryRedirect || resp.StatusCode == http.StatusPermanentRedirect) {
		if loc, ok := h.sameOrigin(resp); ok {
			discard(resp)
			resp, err = h.post(ctx, loc, body, events) // once: a second redirect is a failure
		}
	}
	if err != nil {
		if ctx.Err() == nil { // an attempt cut short by shutdown is not the endpoint's error
			h.listener.err(err, events...)
		}
		return fmt.Errorf("%v: error posting: %w", h, redactErr(err))
	}
	discard(resp)

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		h.listener.success(resp.StatusCode, events...)
		return nil
	}
	h.listener.failure(resp.StatusCode, events...)
	es := errStatus{code: resp.StatusCode, status: resp.Status}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		es.location = "none"
		if loc := resp.Header.Get("Location"); loc != "" {
			es.location = redact.URL(loc)
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		es.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), h.now())
	}
	return fmt.Errorf("%v: %w", h, es)
}

// post makes one POST of body to u with the endpoint's headers.
func (h *httpSink) post(ctx context.Context, u *url.URL, body []byte, events []Event) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range h.headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", EventsMediaType)
	if h.signer != nil {
		h.signer.sign(req.Header, deliveryID(events), body)
	}
	return h.client.Do(req)
}

// sameOrigin resolves a redirect's Location and reports whether it has the
// endpoint's scheme, host and port.
func (h *httpSink) sameOrigin(resp *http.Response) (*url.URL, bool) {
	loc, err := resp.Location()
	if err != nil {
		return nil, false
	}
	return loc, loc.Scheme == h.target.Scheme && hostPort(loc) == hostPort(h.target)
}

// hostPort is u's host with its port, the scheme's default when absent.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

// discard drains a little of the body, so the connection can be reused,
// and closes it; the body is ignored.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// parseRetryAfter reads Retry-After as seconds or as an HTTP date; 0 when
// absent, unreadable or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// redactErr replaces the URL in the client's errors (which keep the query,
// and a redirect target's user info) with its redacted form.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redact.URL(ue.URL), Err: ue.Err}
	}
	return err
}

func (h *httpSink) Close() error {
	h.client.CloseIdleConnections()
	return nil
}
