package notifications

import (
	"context"
	"errors"
	"github.com/hookbench/hookbench/internal/wire"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// hits is an httptest server counting the POSTs it gets and what they carried.
type hits struct {
	srv  *httptest.Server
	mu   sync.Mutex
	n    int
	body [][]byte
	hdr  []http.Header
}

func newHits(t *testing.T, status int) *hits {
	h := &hits{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.n++
		h.body = append(h.body, b)
		h.hdr = append(h.hdr, r.Header.Clone())
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hits) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// TestRedirectIsNotDelivery: a receiver answering 302 (and 301, 303, and a
// 307/308 to another origin) delivers nothing: Successes 0, Failures > 0,
// the status under its key in Statuses, every event still pending, the
// other origin never contacted (so the endpoint's headers never reach it),
// and the failure logged naming the Location.
func TestRedirectIsNotDelivery(t *testing.T) {
	for _, tc := range []struct {
		status int
		key    string
	}{
		{http.StatusMovedPermanently, "301 Moved Permanently"},
		{http.StatusFound, "302 Found"},
		{http.StatusSeeOther, "303 See Other"},
		{http.StatusTemporaryRedirect, "307 Temporary Redirect"},
		{http.StatusPermanentRedirect, "308 Permanent Redirect"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			g := gomega.NewWithT(t)
			other := newHits(t, http.StatusOK)
			var posts atomic.Int64
			src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				w.Header().Set("Location", other.srv.URL+"/elsewhere?token=leak")
				w.WriteHeader(tc.status)
			}))
			t.Cleanup(src.Close)
			logs := &logBuffer{}
			n := newNotifier(t, oneEndpoint(EndpointConfig{URL: src.URL + "/hook", Threshold: threshold, Backoff: forever,
				Headers: http.Header{"Authorization": {"Bearer s3cret"}}}), WithLogger(logs.logger()), WithLogInterval(time.Hour))
			pushTwo(n)

			want := EndpointMetrics{Pending: 2, Events: 2, Successes: 0, Failures: threshold, Statuses: map[string]int{tc.key: threshold}}
			g.Eventually(metricsOf(n, "test")).Should(gomega.Equal(want))
			g.Consistently(metricsOf(n, "test"), 200*time.Millisecond).Should(gomega.Equal(want))
			g.Expect(posts.Load()).To(gomega.BeEquivalentTo(threshold))
			g.Expect(other.count()).To(gomega.Equal(0), "a redirect to another origin is never followed")

			lines := logs.lines("error writing events")
			g.Expect(lines).To(gomega.HaveLen(1), "rate-limited: one line per interval")
			g.Expect(lines[0]).To(gomega.ContainSubstring(`location="` + other.srv.URL + "/elsewhere?token=<redacted>\""))
			g.Expect(lines[0]).NotTo(gomega.ContainSubstring("leak"))
		})
	}
}

// TestSameOrigin307And308AreFollowedOnce: a 307/308 to the endpoint's own
// origin is followed once with the same body and headers; the final 2xx
// delivers. A second redirect is a failed attempt under its status.
func TestSameOrigin307And308AreFollowedOnce(t *testing.T) {
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			g := gomega.NewWithT(t)
			var mu sync.Mutex
			bodies := map[string][][]byte{}
			auth := map[string][]string{}
			mux := http.NewServeMux()
			record := func(r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				defer mu.Unlock()
				bodies[r.URL.Path] = append(bodies[r.URL.Path], b)
				auth[r.URL.Path] = append(auth[r.URL.Path], r.Header.Get("Authorization"))
			}
			mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
				record(r)
				http.Redirect(w, r, "/new", status)
			})
			mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) { record(r); w.WriteHeader(http.StatusAccepted) })
			mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { record(r); http.Redirect(w, r, "/loop2", status) })
			mux.HandleFunc("/loop2", func(w http.ResponseWriter, r *http.Request) { record(r); http.Redirect(w, r, "/new", status) })
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)

			n := newNotifier(t, Config{Endpoints: []EndpointConfig{
				{Name: "moved", URL: srv.URL + "/old", Headers: http.Header{"Authorization": {"Bearer s3cret"}}},
				{Name: "loop", URL: srv.URL + "/loop", Threshold: 1, Backoff: forever},
			}})
			n.Notify(context.Background(), blobPush("test/repo", 1))

			g.Eventually(metricsOf(n, "moved")).Should(gomega.Equal(EndpointMetrics{
				Events: 1, Successes: 1, Statuses: map[string]int{"202 Accepted": 1},
			}))
			key := wire.StatusKey(status)
			g.Eventually(metricsOf(n, "loop")).Should(gomega.Equal(EndpointMetrics{
				Pending: 1, Events: 1, Failures: 1, Statuses: map[string]int{key: 1},
			}))
			mu.Lock()
			defer mu.Unlock()
			g.Expect(bodies["/old"]).To(gomega.HaveLen(1))
			g.Expect(bodies["/new"]).To(gomega.HaveLen(1), "only the moved endpoint reaches /new: the loop stops after one follow")
			g.Expect(bodies["/new"][0]).To(gomega.Equal(bodies["/old"][0]), "same body")
			g.Expect(auth["/new"]).To(gomega.Equal([]string{"Bearer s3cret"}), "same headers, same origin")
			g.Expect(bodies["/loop"]).To(gomega.HaveLen(1))
			g.Expect(bodies["/loop2"]).To(gomega.HaveLen(1))
		})
	}
}

// TestRetryAfterHonoured: 429 and 503 with Retry-After make the next
// attempt wait (where Distribution's breaker would retry at once), and a
// Retry-After beyond the backoff ceiling is capped by it.
func TestRetryAfterHonoured(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			g := gomega.NewWithT(t)
			var rc *receiver
			rc = newReceiver(t, func(i int, _ *http.Request) int {
				if i == 0 {
					return status
				}
				return http.StatusOK
			})
			rc.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "1")
				rc.ServeHTTP(w, r)
			})
			// threshold 10: without Retry-After the retry would be immediate
			n := newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Threshold: 10, Backoff: time.Minute}))
			n.Notify(context.Background(), blobPush("test/repo", 1))
			g.Eventually(metricsOf(n, "test"), 5*time.Second).Should(gomega.Equal(EndpointMetrics{
				Events: 1, Successes: 1, Failures: 1, Statuses: map[string]int{wire.StatusKey(status): 1, "200 OK": 1},
			}))
			seen := rc.seen()
			g.Expect(seen).To(gomega.HaveLen(2))
			g.Expect(seen[1].at.Sub(seen[0].at)).To(gomega.BeNumerically(">=", 900*time.Millisecond), "waited as asked")
		})
	}
	t.Run("capped", func(t *testing.T) {
		g := gomega.NewWithT(t)
		var rc *receiver
		rc = newReceiver(t, func(i int, _ *http.Request) int {
			if i == 0 {
				return http.StatusTooManyRequests
			}
			return http.StatusOK
		})
		rc.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			rc.ServeHTTP(w, r)
		})
		n := newNotifier(t, withDelivery(oneEndpoint(EndpointConfig{URL: rc.url()}), "test", Delivery{
			Retry: Retry{Backoff: time.Millisecond, MaxBackoff: 50 * time.Millisecond},
		}))
		n.Notify(context.Background(), blobPush("test/repo", 1))
		g.Eventually(func() int { return n.Metrics()["test"].Successes }, 5*time.Second).Should(gomega.Equal(1))
	})
}

// TestRetryAfterWait checks the wait itself: seconds and HTTP dates,
// lengthening the breaker's immediate retries, capped by retry.maxbackoff
// or else the endpoint's backoff, and used once.
func TestRetryAfterWait(t *testing.T) {
	g := gomega.NewWithT(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	g.Expect(parseRetryAfter("7", now)).To(gomega.Equal(7 * time.Second))
	g.Expect(parseRetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now)).To(gomega.Equal(90 * time.Second))
	g.Expect(parseRetryAfter(now.Add(-time.Minute).Format(http.TimeFormat), now)).To(gomega.BeZero())
	g.Expect(parseRetryAfter("soon", now)).To(gomega.BeZero())
	g.Expect(parseRetryAfter("-3", now)).To(gomega.BeZero())

	r := &retryingSink{threshold: 10, backoff: 30 * time.Second}
	r.retryAfter = 5 * time.Second
	g.Expect(r.wait()).To(gomega.Equal(5*time.Second), "breaker would retry at once")
	g.Expect(r.wait()).To(gomega.BeZero(), "used once")
	r.retryAfter = time.Hour
	g.Expect(r.wait()).To(gomega.Equal(30*time.Second), "capped by backoff")
	r = &retryingSink{threshold: 1, backoff: time.Second, policy: Retry{Backoff: time.Millisecond, MaxBackoff: 2 * time.Second}, failures: 1}
	r.retryAfter = time.Hour
	g.Expect(r.wait()).To(gomega.Equal(2*time.Second), "capped by retry.maxbackoff")
}

// Test410GivesUp: with dead letters on, 410 Gone is given up at once into
// the dead-letter log (before retry.maxattempts); without, it is retried.
func Test410GivesUp(t *testing.T) {
	g := gomega.NewWithT(t)
	gone := newReceiver(t, always(http.StatusGone))
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	n := newNotifier(t, withDelivery(Config{Endpoints: []EndpointConfig{
		{Name: "dl", URL: gone.url()},
		{Name: "plain", URL: gone.url(), Threshold: 3, Backoff: forever},
	}}, "dl", Delivery{Retry: Retry{MaxAttempts: 100, Backoff: time.Millisecond}, DeadLetter: DeadLetter{Path: path}}))
	n.Notify(context.Background(), blobPush("test/repo", 1))
	g.Eventually(metricsOf(n, "dl")).Should(gomega.Equal(EndpointMetrics{
		Events: 1, Failures: 1, DeadLettered: 1, Statuses: map[string]int{"410 Gone": 1},
	}))
	g.Eventually(metricsOf(n, "plain")).Should(gomega.Equal(EndpointMetrics{
		Pending: 1, Events: 1, Failures: 3, Statuses: map[string]int{"410 Gone": 3},
	}))
	recs := readDeadLetters(t, path)
	g.Expect(recs).To(gomega.HaveLen(1))
	g.Expect(recs[0].Attempts).To(gomega.Equal(1))
	g.Expect(recs[0].Error).To(gomega.ContainSubstring("410 Gone"))
}

func readDeadLetters(t *testing.T, path string) []DeadLetterRecord {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := ReadDeadLetters(f)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestDeadLetterWriteFailureKeepsEvent: when the dead-letter log cannot be
// written, a given-up event is not handled: it stays queued (Pending 1,
// DeadLettered 0) and is retried; once the log can be written it goes there.
func TestDeadLetterWriteFailureKeepsEvent(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusBadRequest))
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	var full atomic.Bool
	full.Store(true)
	var refused atomic.Int64
	n := newNotifier(t, withDelivery(oneEndpoint(EndpointConfig{URL: rc.url()}), "test", Delivery{Retry: Retry{Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}, DeadLetter: DeadLetter{Path: path, On4xx: true}}),
		WithWriteFaults(WriteFaults{DeadLetter: func() error {
			if full.Load() {
				refused.Add(1)
				return errors.New("no space left on device")
			}
			return nil
		}}))
	n.Notify(context.Background(), blobPush("test/repo", 1))
	g.Eventually(refused.Load).Should(gomega.BeNumerically(">=", 3))
	m := n.Metrics()["test"]
	g.Expect(m.Pending).To(gomega.Equal(1), "not removed as if handled")
	g.Expect(m.DeadLettered).To(gomega.BeZero())
	g.Expect(readDeadLetters(t, path)).To(gomega.BeEmpty())

	full.Store(false)
	g.Eventually(func() int { return n.Metrics()["test"].DeadLettered }).Should(gomega.Equal(1))
	g.Expect(n.Metrics()["test"].Pending).To(gomega.BeZero())
	recs := readDeadLetters(t, path)
	g.Expect(recs).To(gomega.HaveLen(1))
	g.Expect(recs[0].Events[0].ID).To(gomega.Equal(rc.ids()[0]))
}

// TestDiskQueueWriteFailureFailsNotifyStored: an event a disk queue cannot
// store is an error to the caller (the registry then fails the request),
// is not counted as accepted, and is never delivered; a memory endpoint
// beside it takes the event and does not make the call fail.
func TestDiskQueueWriteFailureFailsNotifyStored(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusOK))
	var full atomic.Bool
	full.Store(true)
	n := newNotifier(t, withDelivery(Config{Endpoints: []EndpointConfig{
		{Name: "disk", URL: rc.url()}, {Name: "mem", URL: rc.url()},
	}}, "disk", Delivery{Queue: Queue{Kind: "disk", Path: filepath.Join(t.TempDir(), "q.db")}, Concurrency: 2}),
		WithWriteFaults(WriteFaults{Queue: func() error {
			if full.Load() {
				return errors.New("no space left on device")
			}
			return nil
		}}))

	err := n.NotifyStored(context.Background(), manifestPush("test/repo", "a"), manifestPush("test/repo", "b"))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("no space left on device")))
	g.Expect(err.Error()).To(gomega.ContainSubstring("disk"))
	g.Eventually(func() int { return n.Metrics()["mem"].Successes }).Should(gomega.Equal(2))
	g.Consistently(metricsOf(n, "disk"), 200*time.Millisecond).Should(gomega.Equal(EndpointMetrics{Statuses: map[string]int{}}))

	full.Store(false)
	g.Expect(n.NotifyStored(context.Background(), manifestPush("test/repo", "a"))).To(gomega.Succeed())
	g.Eventually(metricsOf(n, "disk")).Should(gomega.Equal(EndpointMetrics{Events: 1, Successes: 1, Statuses: map[string]int{"200 OK": 1}}))
}

// TestShutdownWritesUndeliveredToDeadLetters: a memory queue's undelivered
// events at shutdown go to the dead-letter log (all of them, replayable
// with their ids) when one is configured; otherwise their ids are logged.
func TestShutdownWritesUndeliveredToDeadLetters(t *testing.T) {
	g := gomega.NewWithT(t)
	rc := newReceiver(t, always(http.StatusInternalServerError))
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	logs := &logBuffer{}
	n, err := New(withDelivery(Config{Endpoints: []EndpointConfig{
		{Name: "dl", URL: rc.url()},
		{Name: "logged", URL: rc.url() + "?token=hunter2", Threshold: 1, Backoff: forever},
	}}, "dl", Delivery{Retry: Retry{MaxAttempts: 1000, Backoff: time.Hour}, DeadLetter: DeadLetter{Path: path}}), WithLogger(logs.logger()))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	for i := range 3 {
		n.Notify(context.Background(), blobPush("test/repo", i))
	}
	g.Eventually(func() int { return len(rc.seen()) }).Should(gomega.Equal(2)) // each endpoint's head, once
	heads := rc.ids()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	g.Expect(n.Shutdown(ctx)).To(gomega.Equal(map[string]int{"dl": 3, "logged": 3}))

	recs := readDeadLetters(t, path)
	g.Expect(recs).To(gomega.HaveLen(1))
	g.Expect(recs[0].Error).To(gomega.Equal("undelivered at shutdown"))
	g.Expect(recs[0].Events).To(gomega.HaveLen(3))
	g.Expect(heads).To(gomega.ContainElement(recs[0].Events[0].ID), "the head first, in queue order")

	lines := logs.lines("ids of undelivered events dropped at shutdown")
	g.Expect(lines).To(gomega.HaveLen(1))
	g.Expect(lines[0]).To(gomega.ContainSubstring("endpoint=logged"))
	uuid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}`)
	g.Expect(uuid.FindAllString(lines[0], -1)).To(gomega.HaveLen(3), "three event ids listed")
	g.Expect(logs.lines("hunter2")).To(gomega.BeEmpty())
}

// TestSecretsInURLRedacted: a password and query token in the endpoint
// URL appear in no /debug/vars value, log line, error or dead-letter
// record; header values stay redacted.
func TestSecretsInURLRedacted(t *testing.T) {
	g := gomega.NewWithT(t)
	addr := freeAddr(t) // nothing listens: every attempt is an error naming the URL
	logs := &logBuffer{}
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	n := newNotifier(t, withDelivery(oneEndpoint(EndpointConfig{
		URL:     "http://hook:pa55word@" + addr + "/in?token=t0ken&sig=s1g",
		Headers: http.Header{"Authorization": {"Bearer h3ader"}},
	}), "test", Delivery{Retry: Retry{MaxAttempts: 2, Backoff: time.Millisecond}, DeadLetter: DeadLetter{Path: path}}), WithLogger(logs.logger()))
	n.Notify(context.Background(), blobPush("test/repo", 1))
	g.Eventually(func() int { return n.Metrics()["test"].DeadLettered }).Should(gomega.Equal(1))

	v := n.Vars().(NotificationsVars).Endpoints[0]
	g.Expect(v.URL).To(gomega.Equal("http://hook:<redacted>@" + addr + "/in?sig=<redacted>&token=<redacted>"))
	g.Expect(v.Headers.Get("Authorization")).To(gomega.Equal("<redacted>"))
	raw, err := os.ReadFile(path)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(logs.lines("error writing events")).NotTo(gomega.BeEmpty())
	for _, s := range []string{"pa55word", "t0ken", "s1g", "h3ader"} {
		g.Expect(logs.lines(s)).To(gomega.BeEmpty(), s)
		g.Expect(string(raw)).NotTo(gomega.ContainSubstring(s))
	}
}
