package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// FakeStats is what a fake endpoint counted (GET /stats on its admin API).
type FakeStats struct {
	Deliveries  int            `json:"deliveries"` // attempts recorded
	Events      int            `json:"events"`     // events in accepted envelopes, duplicates included
	Unique      int            `json:"unique"`
	Duplicates  int            `json:"duplicates"`
	Statuses    map[string]int `json:"statuses"` // "500 Internal Server Error" -> n, answered attempts
	Resets      int            `json:"resets"`
	Hangs       int            `json:"hangs"`    // hung attempts the client gave up on
	Timeouts    int            `json:"timeouts"` // attempts the client gave up on during the latency delay
	BadRequests int            `json:"badRequests"`
	// Unauthorized answers (401) are also in Statuses.
	Unauthorized int `json:"unauthorized"`
	Delivered    int `json:"delivered"` // ids answered 2xx/3xx at least once
	// LedgerDropped rows were overwritten by the fake's ledger cap: the
	// per-event reconciliation is then incomplete.
	LedgerDropped int `json:"ledgerDropped"`
}

// NoAnswer is the number of attempts the receiver saw but never answered.
func (s FakeStats) NoAnswer() int { return s.Resets + s.Hangs + s.Timeouts }

// Delivery is one event of one attempt as the fake recorded it (GET /ledger).
type Delivery struct {
	ID         string    `json:"id"`
	Action     string    `json:"action"`
	Repository string    `json:"repository"`
	Digest     string    `json:"digest"`
	Tag        string    `json:"tag"`
	MediaType  string    `json:"mediaType"`
	Timestamp  time.Time `json:"timestamp"` // the event's
	Arrived    time.Time `json:"arrived"`
	Attempt    int       `json:"attempt"` // 1 = first time this id was seen
	Status     int       `json:"status"`  // 0 when hung or reset
	Outcome    string    `json:"outcome"` // answered, hang, reset, bad-request
}

// Accepted reports whether the fake answered this attempt with a status the
// registry counts as success (2xx or 3xx).
func (d Delivery) Accepted() bool { return d.Status >= 200 && d.Status < 400 }

// FakeClient speaks a fake endpoint's admin API over HTTP, so it works the
// same for every runtime (in-process, process, container).
type FakeClient struct {
	AdminURL string
	HTTP     *http.Client
}

// NewFakeClient returns a client of adminURL.
func NewFakeClient(adminURL string) *FakeClient {
	return &FakeClient{AdminURL: strings.TrimRight(adminURL, "/"), HTTP: &http.Client{Timeout: 10 * time.Second}}
}

func (c *FakeClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.AdminURL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("fake admin %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(msg)))
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("fake admin %s %s: decoding: %w", method, path, err)
	}
	return nil
}

// Stats reads the fake's counters.
func (c *FakeClient) Stats(ctx context.Context) (FakeStats, error) {
	var s FakeStats
	err := c.do(ctx, http.MethodGet, "/stats", nil, &s)
	return s, err
}

// Ledger reads every recorded delivery.
func (c *FakeClient) Ledger(ctx context.Context) ([]Delivery, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/ledger", nil, &raw); err != nil {
		return nil, err
	}
	var ds []Delivery
	if err := json.Unmarshal(raw, &ds); err == nil {
		return ds, nil
	}
	var wrapped struct {
		Deliveries []Delivery `json:"deliveries"`
	}
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return nil, fmt.Errorf("fake admin /ledger: decoding: %w", err)
	}
	return wrapped.Deliveries, nil
}

// SetProfile replaces the fake's fault profile (JSON of endpoint.Profile).
func (c *FakeClient) SetProfile(ctx context.Context, profile json.RawMessage) error {
	if len(profile) == 0 {
		profile = json.RawMessage("{}")
	}
	return c.do(ctx, http.MethodPut, "/fault", profile, nil)
}

// Reset clears the fake's ledger and counters.
func (c *FakeClient) Reset(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/reset", nil, nil)
}

// Healthz checks the admin API answers.
func (c *FakeClient) Healthz(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, nil)
}
