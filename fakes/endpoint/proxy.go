package endpoint

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// hopByHop headers are not forwarded.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

// send POSTs a body to the real receiver with the sender's headers.
func (s *Server) send(ctx context.Context, h http.Header, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.proxy.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header = h.Clone()
	for _, k := range hopByHop {
		req.Header.Del(k)
	}
	s.ledger.count(func(st *Stats) { st.Forwarded++ })
	resp, err := s.client.Do(req)
	if err != nil {
		s.ledger.count(func(st *Stats) { st.ProxyErrors++ })
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		s.ledger.count(func(st *Stats) { st.ProxyErrors++ })
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, b, nil
}

// forward passes a delivery no fault answered to the real receiver and
// answers the sender with its status (502 when it cannot be reached).
func (s *Server) forward(w http.ResponseWriter, r *http.Request, post uint64, events []event, body []byte, arrived time.Time, c *compiled) {
	dup, reorder := c.proxyDraw()
	if reorder {
		s.ledger.attempt(post, events, arrived, http.StatusOK, OutcomeAnswered, "held back to reorder")
		w.WriteHeader(http.StatusOK)
		s.late.hold(post, events, r.Header.Clone(), body)
		return
	}
	status, h, b, err := s.send(r.Context(), r.Header, body)
	if err != nil && r.Context().Err() != nil { // the sender gave up first: nobody to answer
		s.ledger.attempt(post, events, arrived, 0, OutcomeTimeout, "client gave up while the real receiver was answering")
		s.late.forwarded()
		return
	}
	if err != nil {
		s.log.Warn("proxy: real receiver unreachable", "target", s.proxy.String(), "err", err)
		s.ledger.attempt(post, events, arrived, http.StatusBadGateway, OutcomeAnswered, "proxy: "+err.Error())
		badRequest(w, http.StatusBadGateway, err)
		s.late.forwarded()
		return
	}
	s.ledger.attempt(post, events, arrived, status, OutcomeAnswered, "")
	if ct := h.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
	if dup {
		st, _, _, err := s.send(r.Context(), r.Header, body)
		s.ledger.extra(post, events, time.Now(), st, OutcomeProxyDup, errString(err))
	}
	s.late.forwarded()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// lateQueue forwards held deliveries after the next forward (or after
// holdMax), so the real receiver sees them out of order.
type lateQueue struct {
	s    *Server
	mu   sync.Mutex
	next chan struct{} // closed when a forward completes
	wg   sync.WaitGroup
}

const holdMax = time.Second

func (q *lateQueue) init(s *Server) {
	q.s, q.next = s, make(chan struct{})
}

func (q *lateQueue) hold(post uint64, events []event, h http.Header, body []byte) {
	q.mu.Lock()
	next := q.next
	q.mu.Unlock()
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		t := time.NewTimer(holdMax)
		defer t.Stop()
		select {
		case <-next:
		case <-t.C:
		case <-q.s.closing:
			return
		}
		ctx, cancel := context.WithTimeout(q.s.ctx, 30*time.Second)
		defer cancel()
		st, _, _, err := q.s.send(ctx, h, body)
		q.s.ledger.extra(post, events, time.Now(), st, OutcomeProxyLate, errString(err))
	}()
}

// forwarded releases every delivery held before it.
func (q *lateQueue) forwarded() {
	q.mu.Lock()
	close(q.next)
	q.next = make(chan struct{})
	q.mu.Unlock()
}

func (q *lateQueue) close() { q.wg.Wait() }
