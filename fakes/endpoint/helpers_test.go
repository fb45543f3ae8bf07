package endpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// start runs a Server on loopback for one test.
func start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	if err := s.Start("127.0.0.1:0", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var idSeq atomic.Int64

// ev is a test event in Distribution's shape.
type ev struct {
	ID        string    `json:"id"`
	Timestamp time.Time `json:"timestamp"`
	Action    string    `json:"action"`
	Target    struct {
		MediaType  string `json:"mediaType"`
		Digest     string `json:"digest"`
		Repository string `json:"repository"`
		Tag        string `json:"tag,omitempty"`
	} `json:"target"`
}

func newEv(repo, action string) ev {
	e := ev{ID: fmt.Sprintf("ev-%d", idSeq.Add(1)), Timestamp: time.Now().UTC(), Action: action}
	e.Target.MediaType = "application/vnd.oci.image.manifest.v1+json"
	e.Target.Digest = "sha256:" + fmt.Sprintf("%064d", idSeq.Load())
	e.Target.Repository = repo
	e.Target.Tag = "latest"
	return e
}

func body(es ...ev) []byte {
	if es == nil {
		es = []ev{}
	}
	b, err := json.Marshal(map[string]any{"events": es})
	if err != nil {
		panic(err)
	}
	return b
}

func request(t testing.TB, url string, b []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", MediaTypeEvents)
	return req
}

// post sends an envelope and returns the status or the transport error.
func post(c *http.Client, url string, es ...ev) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body(es...)))
	req.Header.Set("Content-Type", MediaTypeEvents)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// fresh is a client with a new connection per request, like Distribution.
func fresh(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
}

// eventually awaits cond for up to 5 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	gomega.NewWithT(t).Eventually(cond).WithTimeout(5*time.Second).WithPolling(5*time.Millisecond).
		Should(gomega.BeTrue(), "waiting for %s", what)
}

func mustStatus(t testing.TB, got int, err error, want int) {
	t.Helper()
	if err != nil {
		t.Fatalf("want status %d, got error %v", want, err)
	}
	if got != want {
		t.Fatalf("want status %d, got %d", want, got)
	}
}
