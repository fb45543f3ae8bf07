package notifications

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry"
)

// arrival is one POST as the test receiver saw it.
type arrival struct {
	at          time.Time
	body        []byte
	ids         []string
	contentType string
	header      http.Header
	status      int // 0 when the handler hung until the client gave up
}

// receiver is an httptest webhook endpoint whose answer to the n-th POST
// (0-based) is decided by answer; answer may block on r.Context().
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	answer func(n int, r *http.Request) int

	mu       sync.Mutex
	arrivals []arrival
}

func newReceiver(t *testing.T, answer func(n int, r *http.Request) int) *receiver {
	rc := &receiver{t: t, answer: answer}
	rc.srv = httptest.NewServer(rc)
	t.Cleanup(rc.srv.Close)
	return rc
}

// always answers every POST with status.
func always(status int) func(int, *http.Request) int {
	return func(int, *http.Request) int { return status }
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		rc.t.Errorf("receiver: bad envelope %q: %v", body, err)
	}
	a := arrival{at: time.Now(), body: body, contentType: r.Header.Get("Content-Type"), header: r.Header.Clone()}
	for _, e := range env.Events {
		a.ids = append(a.ids, e.ID)
	}
	rc.mu.Lock()
	n := len(rc.arrivals)
	rc.arrivals = append(rc.arrivals, a)
	rc.mu.Unlock()

	status := rc.answer(n, r)
	if r.Context().Err() != nil {
		return // the client gave up: no answer
	}
	rc.mu.Lock()
	rc.arrivals[n].status = status
	rc.mu.Unlock()
	w.WriteHeader(status)
}

func (rc *receiver) seen() []arrival {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]arrival(nil), rc.arrivals...)
}

// ids is every event id received, in arrival order, duplicates included.
func (rc *receiver) ids() []string {
	var out []string
	for _, a := range rc.seen() {
		out = append(out, a.ids...)
	}
	return out
}

func (rc *receiver) url() string { return rc.srv.URL + "/callback" }

// hangUntilGivenUp blocks until the client abandons the request.
func hangUntilGivenUp(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// newNotifier builds a Notifier for one test and shuts it down after.
func newNotifier(t testing.TB, cfg Config, opts ...Option) *Notifier {
	t.Helper()
	opts = append([]Option{WithLogger(discardLogger())}, opts...)
	n, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		n.Shutdown(ctx)
	})
	return n
}

func oneEndpoint(ep EndpointConfig) Config {
	if ep.Name == "" {
		ep.Name = "test"
	}
	return Config{Endpoints: []EndpointConfig{ep}}
}

// delivering is cfg with d as the delivery settings of its first endpoint.
func delivering(cfg Config, d Delivery) Config {
	cfg.Endpoints = slices.Clone(cfg.Endpoints)
	cfg.Endpoints[0].Delivery = d
	return cfg
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// logBuffer is a concurrency-safe log sink for asserting on log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) lines(substr string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if line != "" && strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return out
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// metricsOf is an endpoint's counters for Eventually, with Retries and
// Batches left out (the tests written for them read them directly), so
// the expectations read as Distribution's counters plus DeadLettered.
func metricsOf(n *Notifier, name string) func() EndpointMetrics {
	return func() EndpointMetrics {
		m := n.Metrics()[name]
		m.Retries, m.Batches = 0, 0
		return m
	}
}

func requestInfo(method string) registry.RequestInfo {
	return registry.RequestInfo{ID: "req-1", Addr: "127.0.0.1:40000", Host: "127.0.0.1:5000", Method: method, UserAgent: "test/1", Scheme: "http"}
}

// blobPush is the Action of the i-th blob push to repo.
func blobPush(repo string, i int) registry.Action {
	content := fmt.Sprintf("blob %d", i)
	return registry.Action{
		Verb: registry.Push, Object: registry.Blob, Repository: repo,
		Descriptor: v1.Descriptor{Digest: digest.FromString(content), Size: int64(len(content))},
		Request:    requestInfo(http.MethodPut),
	}
}

func manifestPush(repo, tag string) registry.Action {
	layer := v1.Descriptor{MediaType: v1.MediaTypeImageLayer, Digest: digest.FromString("layer"), Size: 5}
	return registry.Action{
		Verb: registry.Push, Object: registry.Manifest, Repository: repo, Tag: tag,
		Descriptor: v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: digest.FromString("manifest " + tag), Size: 395},
		References: []v1.Descriptor{{MediaType: v1.MediaTypeImageConfig, Digest: digest.FromString("config"), Size: 10}, layer},
		Request:    requestInfo(http.MethodPut),
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// withDelivery is cfg with d as the delivery settings of the endpoint named name.
func withDelivery(cfg Config, name string, d Delivery) Config {
	cfg.Endpoints = slices.Clone(cfg.Endpoints)
	for i := range cfg.Endpoints {
		if cfg.Endpoints[i].Name == name {
			cfg.Endpoints[i].Delivery = d
		}
	}
	return cfg
}
