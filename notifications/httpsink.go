package notifications

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// httpSink POSTs events to one endpoint URL, a new request per attempt,
// and tells the listener how each attempt went. It does not retry.
type httpSink struct {
	url      string
	headers  http.Header
	client   *http.Client // Timeout is the endpoint's whole-request timeout
	listener metricsListener
	signer   *signer // nil: unsigned, as Distribution
}

// errStatus is an attempt answered with a status that is not success.
type errStatus struct {
	code   int
	status string
}

func (e errStatus) Error() string { return "response status " + e.status + " unaccepted" }

func (h *httpSink) String() string { return fmt.Sprintf("httpSink{%s}", h.url) }

func (h *httpSink) Write(ctx context.Context, events ...Event) error {
	body, err := json.Marshal(Envelope{Events: events})
	if err != nil {
		return fmt.Errorf("%v: encoding events: %w", h, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%v: %w", h, err)
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

	resp, err := h.client.Do(req)
	if err != nil {
		if ctx.Err() == nil { // an attempt cut short by shutdown is not the endpoint's error
			h.listener.err(err, events...)
		}
		return fmt.Errorf("%v: error posting: %w", h, err)
	}
	// Drain a little so the connection can be reused; the body is ignored.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()

	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		h.listener.success(resp.StatusCode, events...)
		return nil
	}
	h.listener.failure(resp.StatusCode, events...)
	return fmt.Errorf("%v: %w", h, errStatus{resp.StatusCode, resp.Status})
}

func (h *httpSink) Close() error {
	h.client.CloseIdleConnections()
	return nil
}
