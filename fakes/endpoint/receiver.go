package endpoint

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// receive handles one delivery attempt (one POST).
func (s *Server) receive(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	post := s.ledger.nextPost()
	if r.Method != http.MethodPost {
		s.ledger.badRequest(post, arrived, http.StatusMethodNotAllowed, "method "+r.Method)
		w.Header().Set("Allow", http.MethodPost)
		badRequest(w, http.StatusMethodNotAllowed, errors.New("POST an envelope"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if !errors.As(err, &tooBig) { // the sender went away mid-body: nothing answered
			s.ledger.badRequest(post, arrived, 0, "reading body: "+err.Error())
			return
		}
		s.ledger.badRequest(post, arrived, http.StatusBadRequest, err.Error())
		badRequest(w, http.StatusBadRequest, err)
		return
	}
	events, err := parseEnvelope(r.Header.Get("Content-Type"), body)
	if err != nil {
		s.ledger.badRequest(post, arrived, http.StatusBadRequest, err.Error())
		badRequest(w, http.StatusBadRequest, err)
		return
	}
	c := s.current()
	if err := c.authorize(r, body, arrived); err != nil {
		s.ledger.attempt(post, events, arrived, http.StatusUnauthorized, OutcomeAnswered, err.Error())
		badRequest(w, http.StatusUnauthorized, err)
		return
	}
	d := c.faultFor(events).decide()

	if d.delay > 0 {
		t := time.NewTimer(d.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			s.ledger.attempt(post, events, arrived, 0, OutcomeTimeout, "client gave up during the latency delay")
			return
		case <-s.closing:
			t.Stop()
			panic(http.ErrAbortHandler) // drop the connection: no answer
		}
	}
	switch {
	case d.hang:
		s.ledger.attempt(post, events, arrived, 0, OutcomeHang, "")
		select {
		case <-r.Context().Done():
			s.ledger.count(func(st *Stats) { st.Hangs++ })
		case <-s.closing:
			panic(http.ErrAbortHandler) // drop the connection: no answer
		}
		return
	case d.reset:
		s.ledger.attempt(post, events, arrived, 0, OutcomeReset, "")
		resetConn(w)
		return
	case d.status == 0 && s.proxy != nil:
		s.forward(w, r, post, events, body, arrived, c)
		return
	}
	status := d.status
	if status == 0 {
		status = http.StatusOK
	}
	s.ledger.attempt(post, events, arrived, status, OutcomeAnswered, "")
	if status >= 300 && status < 400 && c.p.Location != "" {
		w.Header().Set("Location", c.p.Location)
	}
	if (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) && c.p.RetryAfter != "" {
		w.Header().Set("Retry-After", c.p.RetryAfter)
	}
	w.WriteHeader(status)
}

// authorize checks the Authorization header and the Standard Webhooks
// signature when the profile asks for them.
func (c *compiled) authorize(r *http.Request, body []byte, now time.Time) error {
	if want := c.p.Authorization; want != "" && r.Header.Get("Authorization") != want {
		return errors.New("wrong or missing Authorization header")
	}
	if c.key != nil {
		if err := verifySignature(c.key, c.tolerance, r.Header, body, now); err != nil {
			return fmt.Errorf("signature: %w", err)
		}
	}
	return nil
}

// resetConn closes the connection with SO_LINGER 0: the kernel sends RST,
// so the client sees "connection reset by peer" and no status.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // not hijackable (HTTP/2): abort is the closest
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}
