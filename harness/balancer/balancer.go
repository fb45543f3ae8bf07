// Package balancer is the cluster topology's load balancer: a small
// round-robin reverse proxy that picks the next replica for every request
// (not every connection), so one chunked upload's POST, PATCHes and PUT
// reach different replicas. A replica that refuses the connection (stopped,
// restarting, partitioned away) is skipped and the request goes to the
// next one: nothing had been sent, so the retry is safe. Any other failure
// answers 502: the request may have been served.
package balancer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// StatsPath is where the balancer answers its own statistics (JSON Stats);
// HealthPath answers 200 once it serves.
const (
	StatsPath  = "/_balancer/stats"
	HealthPath = "/_balancer/health"
)

// DefaultMaxBody bounds a buffered request body (bodies are kept to send
// them again to the next replica).
const DefaultMaxBody = 256 << 20

// Balancer is an http.Handler proxying to its backends in turn.
type Balancer struct {
	backends []*url.URL
	next     atomic.Uint64
	client   *http.Client
	maxBody  int64

	mu    sync.Mutex
	stats []BackendStats
}

// BackendStats counts what one backend was sent.
type BackendStats struct {
	URL      string         `json:"url"`
	Requests map[string]int `json:"requests"` // by method
	// Refused: requests that could not reach it and went to the next one.
	Refused int `json:"refused"`
	// Failed: requests sent whose answer never came (answered 502).
	Failed int `json:"failed"`
}

// Stats is every backend's counts, in backend order.
type Stats struct {
	Backends []BackendStats `json:"backends"`
}

// Option configures a Balancer.
type Option func(*Balancer)

// WithTimeout bounds one proxied request (default 60s).
func WithTimeout(d time.Duration) Option { return func(b *Balancer) { b.client.Timeout = d } }

// WithMaxBody bounds a buffered request body (default DefaultMaxBody).
func WithMaxBody(n int64) Option { return func(b *Balancer) { b.maxBody = n } }

// New returns a balancer over backends (base URLs, e.g. http://replica-0:5000).
func New(backends []string, opts ...Option) (*Balancer, error) {
	if len(backends) == 0 {
		return nil, errors.New("balancer: no backends")
	}
	b := &Balancer{maxBody: DefaultMaxBody}
	for _, raw := range backends {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("balancer: backend %q: want http(s)://host:port", raw)
		}
		b.backends = append(b.backends, u)
		b.stats = append(b.stats, BackendStats{URL: u.String(), Requests: map[string]int{}})
	}
	// No keep-alive: every request dials, so a replica that went away is
	// found at the dial (refused), never as a dead pooled connection with
	// the request half sent.
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		DisableKeepAlives:     true,
		ResponseHeaderTimeout: 60 * time.Second,
	}
	b.client = &http.Client{Transport: tr, Timeout: 60 * time.Second,
		// Redirects go back to the client, as a proxy must.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, o := range opts {
		o(b)
	}
	return b, nil
}

// Stats returns a copy of the counts.
func (b *Balancer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := Stats{}
	for _, s := range b.stats {
		c := s
		c.Requests = map[string]int{}
		for k, v := range s.Requests {
			c.Requests[k] = v
		}
		out.Backends = append(out.Backends, c)
	}
	return out
}

// hop-by-hop headers are the connection's, not the request's.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// ServeHTTP implements http.Handler.
func (b *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case HealthPath:
		w.WriteHeader(http.StatusOK)
		return
	case StatsPath:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(b.Stats())
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, b.maxBody+1))
	if err != nil {
		http.Error(w, "balancer: reading the request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if int64(len(body)) > b.maxBody {
		http.Error(w, fmt.Sprintf("balancer: request body over %d bytes", b.maxBody), http.StatusRequestEntityTooLarge)
		return
	}
	n := len(b.backends)
	first := int((b.next.Add(1) - 1) % uint64(n))
	var last error
	for i := range n {
		k := (first + i) % n
		resp, err := b.send(r, body, b.backends[k])
		if err != nil {
			refused := isDialError(err)
			b.count(k, func(s *BackendStats) {
				if refused {
					s.Refused++
				} else {
					s.Failed++
				}
			})
			last = err
			if refused && r.Context().Err() == nil {
				continue
			}
			break
		}
		b.count(k, func(s *BackendStats) { s.Requests[r.Method]++ })
		defer resp.Body.Close()
		h := w.Header()
		for key, vs := range resp.Header {
			h[key] = vs
		}
		for _, key := range hopHeaders {
			h.Del(key)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		return
	}
	http.Error(w, "balancer: no replica answered: "+last.Error(), http.StatusBadGateway)
}

func (b *Balancer) count(k int, f func(*BackendStats)) {
	b.mu.Lock()
	f(&b.stats[k])
	b.mu.Unlock()
}

// send makes the outgoing request: same method, path, query and headers;
// Host kept, so the registry's Location headers and events name the
// address the client used.
func (b *Balancer) send(r *http.Request, body []byte, to *url.URL) (*http.Response, error) {
	u := *to
	u.Path = strings.TrimRight(to.Path, "/") + r.URL.Path
	u.RawPath = ""
	if r.URL.RawPath != "" {
		u.RawPath = strings.TrimRight(to.Path, "/") + r.URL.RawPath
	}
	u.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	out.Header = r.Header.Clone()
	for _, key := range hopHeaders {
		out.Header.Del(key)
	}
	out.Host = r.Host
	out.ContentLength = int64(len(body))
	if len(body) == 0 {
		out.Body = http.NoBody
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		out.Header.Set("X-Forwarded-For", strings.TrimLeft(r.Header.Get("X-Forwarded-For")+", "+ip, ", "))
	}
	return b.client.Do(out)
}

// isDialError: the connection was never made (refused, no route, no such
// host): nothing was sent.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}
