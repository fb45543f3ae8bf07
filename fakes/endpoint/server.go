package endpoint

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Server is a fake webhook receiver plus its admin API.
type Server struct {
	log      *slog.Logger
	ledger   *ledger
	proxy    *url.URL
	startErr error
	client   *http.Client // proxy forwards
	maxBody  int64

	prof struct {
		sync.Mutex
		c        *compiled
		stopFlap chan struct{}
		flapDone chan struct{}
	}

	recv    *gate
	admin   *http.Server
	adminLn net.Listener

	closing chan struct{}   // closed by Close: releases hung requests
	ctx     context.Context // cancelled by Close: stops late proxy forwards
	cancel  context.CancelFunc
	once    sync.Once
	late    lateQueue // proxy reorder
}

// Option configures a Server.
type Option func(*Server)

// WithProfile sets the initial fault profile (validated on New; an invalid
// one is reported by Start).
func WithProfile(p Profile) Option {
	return func(s *Server) {
		c, err := compile(p)
		if err != nil {
			s.prof.c, s.startErr = nil, errors.Join(s.startErr, err)
			return
		}
		s.prof.c = c
	}
}

// WithLedgerCap keeps at most n ledger rows (a ring buffer; counters stay
// exact). n <= 0 keeps every row.
func WithLedgerCap(n int) Option { return func(s *Server) { s.ledger = newLedger(n) } }

// WithProxy forwards deliveries that no fault answered to a real receiver
// and answers the sender with the receiver's status.
func WithProxy(targetURL string) Option {
	return func(s *Server) {
		u, err := url.Parse(targetURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			s.startErr = errors.Join(s.startErr, errors.New("endpoint: proxy target must be an http(s) URL: "+targetURL))
			return
		}
		s.proxy = u
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) {
		if l != nil {
			s.log = l
		}
	}
}

// WithMaxBody bounds a delivery body (default 16 MiB); larger is a 400.
func WithMaxBody(n int64) Option { return func(s *Server) { s.maxBody = n } }

// New returns a Server; Start makes it listen.
func New(opts ...Option) *Server {
	s := &Server{
		log:     slog.New(slog.DiscardHandler),
		ledger:  newLedger(0),
		maxBody: 16 << 20,
		closing: make(chan struct{}),
		client:  &http.Client{Timeout: 30 * time.Second},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.prof.c, _ = compile(Profile{})
	for _, o := range opts {
		o(s)
	}
	s.ledger.log = s.log
	if s.prof.c == nil {
		s.prof.c, _ = compile(Profile{})
	}
	s.late.init(s)
	s.recv = newGate(http.HandlerFunc(s.receive))
	return s
}

// Start listens on addr (receiver) and adminAddr (admin API); ":0" picks a
// free port. With the refuse fault the receiver port is reserved, then
// closed.
func (s *Server) Start(addr, adminAddr string) error {
	if s.startErr != nil {
		return s.startErr
	}
	ln, err := net.Listen("tcp", adminAddr)
	if err != nil {
		return err
	}
	if err := s.recv.up(addr); err != nil {
		ln.Close()
		return err
	}
	s.adminLn = ln
	s.admin = &http.Server{Handler: s.AdminHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.admin.Serve(ln) }()
	s.prof.Lock()
	s.applyListen(s.prof.c.p)
	s.prof.Unlock()
	s.log.Info("fake endpoint listening", "url", s.URL(), "admin", s.AdminURL(), "proxy", s.proxyString())
	return nil
}

func (s *Server) proxyString() string {
	if s.proxy == nil {
		return ""
	}
	return s.proxy.String()
}

// URL is the receiver's base URL (POST anywhere under it, e.g. URL()+"/callback").
func (s *Server) URL() string { return "http://" + s.recv.boundAddr() }

// AdminURL is the admin API's base URL.
func (s *Server) AdminURL() string {
	if s.adminLn == nil {
		return ""
	}
	return "http://" + s.adminLn.Addr().String()
}

// Close stops both listeners and releases hung requests.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closing)
		s.cancel()
		s.prof.Lock()
		s.stopFlapLocked()
		s.prof.Unlock()
		s.late.close()
		err = s.recv.close()
		if s.admin != nil {
			err = errors.Join(err, s.admin.Close())
		}
	})
	return err
}

// SetProfile replaces the fault profile at once; counters of sequences,
// failFirst and seeded rates start again.
func (s *Server) SetProfile(p Profile) error {
	c, err := compile(p)
	if err != nil {
		return err
	}
	s.prof.Lock()
	defer s.prof.Unlock()
	s.prof.c = c
	if s.adminLn != nil { // started
		s.applyListen(p)
	}
	s.log.Info("fault profile set", "profile", p)
	return nil
}

// Profile returns the current fault profile.
func (s *Server) Profile() Profile {
	s.prof.Lock()
	defer s.prof.Unlock()
	return s.prof.c.p
}

func (s *Server) current() *compiled {
	s.prof.Lock()
	defer s.prof.Unlock()
	return s.prof.c
}

// applyListen brings the listener up or down for refuse/flap. Caller holds prof.
func (s *Server) applyListen(p Profile) {
	s.stopFlapLocked()
	switch {
	case p.Refuse:
		s.recv.down()
	case p.Flap > 0:
		s.up()
		stop, done := make(chan struct{}), make(chan struct{})
		s.prof.stopFlap, s.prof.flapDone = stop, done
		go s.flap(time.Duration(p.Flap), stop, done)
	default:
		s.up()
	}
}

func (s *Server) up() {
	if err := s.recv.up(""); err != nil {
		s.log.Error("listening again", "addr", s.recv.boundAddr(), "err", err)
	}
}

func (s *Server) stopFlapLocked() {
	if s.prof.stopFlap != nil {
		close(s.prof.stopFlap)
		<-s.prof.flapDone
		s.prof.stopFlap, s.prof.flapDone = nil, nil
	}
}

// flap alternates: up for one period, down for the next.
func (s *Server) flap(period time.Duration, stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(period)
	defer t.Stop()
	for isUp := true; ; {
		select {
		case <-stop:
			return
		case <-t.C:
			isUp = !isUp
			if isUp {
				s.up()
			} else {
				s.recv.down()
			}
		}
	}
}

// Stats returns the exact counters.
func (s *Server) Stats() Stats {
	st := s.ledger.stats()
	st.Up = s.recv.isUp()
	return st
}

// Ledger returns the recorded rows matching f, oldest first.
func (s *Server) Ledger(f Filter) []Delivery { return s.ledger.list(f) }

// Reset clears the ledger and counters; the profile stays.
func (s *Server) Reset() { s.ledger.reset() }
