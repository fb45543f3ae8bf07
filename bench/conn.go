package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// leanConn is one keep-alive HTTP/1.1 connection that writes the request
// line and headers itself and parses answers with net/http's ReadResponse.
// Beside a registry that spends some 75 µs of CPU on a manifest PUT,
// net/http's client spends about 47 µs of the same two cores (transport
// goroutines, header maps, per-request allocations), which the registry
// then does not get; this spends about 25 µs, most of it the kernel's
// loopback TCP. It speaks only what the benchmark sends: requests with a
// body of known length.
type leanConn struct {
	host    string // host:port
	timeout time.Duration
	c       net.Conn
	br      *bufio.Reader
	buf     []byte
	used    bool // the connection has carried a request: a failure may be its close
}

func newLeanConn(base string, timeout time.Duration) (*leanConn, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("lean client: %q is not an http://host:port URL", base)
	}
	return &leanConn{host: u.Host, timeout: timeout}, nil
}

// do sends method path with contentType (none when empty) and a body, the
// parts one after the other, and returns the answer, its body read whole
// (at most 64 KiB). A request that fails on a connection that carried
// earlier ones is sent once more on a new connection: the server may have
// closed it in between, as net/http's client assumes too.
func (lc *leanConn) do(ctx context.Context, method, path, contentType string, body ...[]byte) (*http.Response, []byte, error) {
	resp, msg, err := lc.once(ctx, method, path, contentType, body)
	if err != nil && lc.used && ctx.Err() == nil {
		lc.close()
		resp, msg, err = lc.once(ctx, method, path, contentType, body)
	}
	if err != nil {
		lc.close()
	}
	return resp, msg, err
}

// A body up to smallBody is copied behind the headers and sent with one
// write; a larger one is sent from where it is with one writev, where
// net/http's client copies it through a 32 KiB buffer, a write per piece
// (for a 1 MiB blob a third of the client's CPU).
const smallBody = 64 << 10

func (lc *leanConn) once(ctx context.Context, method, path, contentType string, body [][]byte) (*http.Response, []byte, error) {
	if lc.c == nil {
		d := net.Dialer{Timeout: lc.timeout}
		c, err := d.DialContext(ctx, "tcp", lc.host)
		if err != nil {
			return nil, nil, err
		}
		lc.c, lc.br, lc.used = c, bufio.NewReaderSize(c, 4096), false
	}
	if err := lc.c.SetDeadline(time.Now().Add(lc.timeout)); err != nil {
		return nil, nil, err
	}
	b := append(lc.buf[:0], method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, lc.host...)
	b = append(b, "\r\nUser-Agent: hookbench-bench"...)
	if contentType != "" {
		b = append(b, "\r\nContent-Type: "...)
		b = append(b, contentType...)
	}
	size := 0
	for _, part := range body {
		size += len(part)
	}
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, "\r\n\r\n"...)
	var err error
	if size <= smallBody {
		for _, part := range body {
			b = append(b, part...)
		}
		_, err = lc.c.Write(b)
	} else {
		bufs := append(net.Buffers{b}, body...)
		_, err = bufs.WriteTo(lc.c)
	}
	lc.buf = b
	if err != nil {
		return nil, nil, err
	}
	lc.used = true
	resp, err := http.ReadResponse(lc.br, nil)
	if err != nil {
		return nil, nil, err
	}
	msg, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err == nil {
		// Whatever is past 64 KiB must leave the connection too.
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	if resp.Close {
		lc.close()
	}
	return resp, msg, nil
}

func (lc *leanConn) close() {
	if lc.c != nil {
		lc.c.Close()
		lc.c, lc.br = nil, nil
	}
}

// leanPool hands each of n workers a connection of its own.
type leanPool chan *leanConn

func newLeanPool(base string, n int, timeout time.Duration) (leanPool, error) {
	p := make(leanPool, n)
	for range n {
		lc, err := newLeanConn(base, timeout)
		if err != nil {
			return nil, err
		}
		p <- lc
	}
	return p, nil
}

func (p leanPool) do(ctx context.Context, method, path, contentType string, body ...[]byte) (*http.Response, []byte, error) {
	lc := <-p
	defer func() { p <- lc }()
	return lc.do(ctx, method, path, contentType, body...)
}

func (p leanPool) close() {
	for range cap(p) {
		(<-p).close()
	}
}

// errStatus is an answer other than the one expected.
func errStatus(method, path string, resp *http.Response, msg []byte) error {
	return errors.New(method + " " + path + ": " + resp.Status + ": " + strings.TrimSpace(string(msg)))
}
