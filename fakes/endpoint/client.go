package endpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client speaks a fake endpoint's admin API (works for in-process,
// process and container fakes alike).
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// NewClient returns a client of the admin API at adminURL.
func NewClient(adminURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(adminURL, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}}
}

func (c *Client) do(ctx context.Context, method, path string, in []byte, out any) error {
	var body io.Reader
	if in != nil {
		body = bytes.NewReader(in)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
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
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(msg, &e) == nil && e.Error != "" {
			return fmt.Errorf("fake endpoint %s %s: %s: %s", method, path, resp.Status, e.Error)
		}
		return fmt.Errorf("fake endpoint %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(msg)))
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("fake endpoint %s %s: decoding: %w", method, path, err)
	}
	return nil
}

// Stats reads the counters.
func (c *Client) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	err := c.do(ctx, http.MethodGet, "/stats", nil, &s)
	return s, err
}

// Ledger reads the rows matching f.
func (c *Client) Ledger(ctx context.Context, f Filter) ([]Delivery, error) {
	q := url.Values{}
	for k, v := range map[string]string{"id": f.ID, "repository": f.Repository, "action": f.Action, "outcome": f.Outcome} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339Nano))
	}
	path := "/ledger"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var ds []Delivery
	err := c.do(ctx, http.MethodGet, path, nil, &ds)
	return ds, err
}

// SetProfile replaces the fault profile.
func (c *Client) SetProfile(ctx context.Context, p Profile) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPut, "/fault", b, nil)
}

// SetProfileJSON replaces the fault profile with raw JSON (validated by the server).
func (c *Client) SetProfileJSON(ctx context.Context, profile []byte) error {
	if len(bytes.TrimSpace(profile)) == 0 {
		profile = []byte("{}")
	}
	return c.do(ctx, http.MethodPut, "/fault", profile, nil)
}

// Profile reads the current fault profile.
func (c *Client) Profile(ctx context.Context) (Profile, error) {
	var p Profile
	err := c.do(ctx, http.MethodGet, "/fault", nil, &p)
	return p, err
}

// Reset clears the ledger and counters.
func (c *Client) Reset(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/reset", nil, nil)
}

// Healthz checks the admin API answers.
func (c *Client) Healthz(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, nil)
}
