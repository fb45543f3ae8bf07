package endpoint

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// gate owns the receiver's listener so it can stop listening (connections
// refused) and listen again on the same port.
type gate struct {
	srv *http.Server

	mu     sync.Mutex
	addr   string // bound host:port, fixed after the first listen
	ln     net.Listener
	conns  map[net.Conn]struct{}
	closed bool
	done   sync.WaitGroup // Serve goroutines
}

func newGate(h http.Handler) *gate {
	g := &gate{conns: map[net.Conn]struct{}{}}
	g.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ConnState: g.track}
	return g
}

func (g *gate) track(c net.Conn, s http.ConnState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch s {
	case http.StateNew:
		if g.ln == nil { // went down while this one was being accepted
			c.Close()
			return
		}
		g.conns[c] = struct{}{}
	case http.StateHijacked, http.StateClosed:
		delete(g.conns, c)
	}
}

// up listens (on addr the first time, then on the same port again).
func (g *gate) up(addr string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errors.New("endpoint: closed")
	}
	if g.ln != nil {
		return nil
	}
	if g.addr != "" {
		addr = g.addr
	}
	ln, err := listenRetry(addr)
	if err != nil {
		return err
	}
	g.addr, g.ln = ln.Addr().String(), ln
	g.done.Add(1)
	go func() {
		defer g.done.Done()
		_ = g.srv.Serve(ln) // returns when ln closes
	}()
	return nil
}

// listenRetry tolerates a port still held for a moment by the closing
// listener.
func listenRetry(addr string) (net.Listener, error) {
	var err error
	for i := 0; i < 50; i++ {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, err
}

// down stops listening and drops every open connection, like a process
// that went away: new connections are refused, kept-alive ones break.
func (g *gate) down() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln == nil {
		return
	}
	g.ln.Close()
	g.ln = nil
	for c := range g.conns {
		c.Close()
		delete(g.conns, c)
	}
}

func (g *gate) isUp() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ln != nil
}

func (g *gate) boundAddr() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.addr
}

func (g *gate) close() error {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.down()
	err := g.srv.Close()
	g.done.Wait()
	// down closed the listener already; srv.Close closes it again when
	// Serve has not yet let go of it, which is no failure.
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
