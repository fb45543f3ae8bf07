package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbench/hookbench/notifications"
)

// receiver records the event ids it is sent, answering status.
type receiver struct {
	mu     sync.Mutex
	ids    []string
	status int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var env notifications.Envelope
	if err := json.NewDecoder(req.Body).Decode(&env); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status == 0 {
		for _, e := range env.Events {
			r.ids = append(r.ids, e.ID)
		}
	}
	w.WriteHeader(max(r.status, http.StatusOK))
}

func (r *receiver) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ids)
}

// replayFixture writes a config with endpoint "sink" at url and a
// dead-letter log of two records (three events); it returns the config
// path, the log path and the event ids.
func replayFixture(t *testing.T, url string) (cfgPath, dlPath string, ids []string) {
	t.Helper()
	dir := t.TempDir()
	dlPath = filepath.Join(dir, "dead.jsonl")
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  inmemory: {}
http:
  addr: 127.0.0.1:0
notifications:
  endpoints:
    - name: other
      url: http://127.0.0.1:1/never
    - name: sink
      url: %s
      timeout: 500ms
      retry:
        maxattempts: 3
        backoff: 10ms
      deadletter:
        path: %s
`, url, dlPath)
	cfgPath = filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for r, n := range []int{1, 2} {
		rec := notifications.DeadLetterRecord{Time: time.Now(), Endpoint: "sink", URL: url, Attempts: 3, Error: "400 Bad Request"}
		for i := range n {
			id := fmt.Sprintf("evt-%d-%d", r, i)
			ids = append(ids, id)
			rec.Events = append(rec.Events, notifications.Event{ID: id, Action: "push", Timestamp: time.Now()})
		}
		if err := enc.Encode(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(dlPath, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dlPath, ids
}

func TestReplayRedeliversDeadLettersWithTheirIDs(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	cfgPath, dlPath, ids := replayFixture(t, srv.URL)

	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"notifications", "replay", "sink", "--config", cfgPath}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if got := rcv.seen(); !slices.Equal(got, ids) {
		t.Errorf("receiver saw ids %v, want %v (same ids, same order)", got, ids)
	}
	if !strings.Contains(out.String(), "replayed 3 events to sink: 3 delivered, 0 dead-lettered again") {
		t.Errorf("report %q", out.String())
	}
	if _, err := os.Stat(dlPath); !os.IsNotExist(err) {
		t.Errorf("dead-letter log still at %s after a full replay (err %v): a second replay would resend", dlPath, err)
	}
	kept, _ := filepath.Glob(dlPath + ".replayed-*")
	if len(kept) != 1 {
		t.Errorf("replayed log kept as %v, want one file", kept)
	}

	// A second replay has nothing to do, and says so.
	errb.Reset()
	if code := run(context.Background(), []string{"notifications", "replay", "--config", cfgPath, "sink"}, nil, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "no dead letters for sink") {
		t.Errorf("second replay: exit %d, stderr %q", code, errb.String())
	}
}

func TestReplayFailingAgainKeepsEveryEvent(t *testing.T) {
	rcv := &receiver{status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	cfgPath, dlPath, ids := replayFixture(t, srv.URL)

	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"notifications", "replay", "sink", "--config", cfgPath}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if !strings.Contains(out.String(), "3 dead-lettered again") {
		t.Errorf("report %q", out.String())
	}
	f, err := os.Open(dlPath)
	if err != nil {
		t.Fatalf("events failing again must land in a fresh %s: %v", dlPath, err)
	}
	defer f.Close()
	recs, err := notifications.ReadDeadLetters(f)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		for _, e := range r.Events {
			got = append(got, e.ID)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Errorf("dead-lettered again: %v, want %v", got, ids)
	}
}

func TestReplayDeadlineAppendsRecordsBack(t *testing.T) {
	// Hangs past the deadline: nothing is delivered, nothing may be lost.
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	cfgPath, dlPath, ids := replayFixture(t, srv.URL)

	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"notifications", "replay", "sink", "--config", cfgPath, "--timeout", "200ms"}, nil, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "undelivered when the deadline ended") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	f, err := os.Open(dlPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, _ := notifications.ReadDeadLetters(f)
	n := 0
	for _, r := range recs {
		n += len(r.Events)
	}
	if n < len(ids) {
		t.Errorf("%d events back in the log after a timed-out replay, want at least %d", n, len(ids))
	}
}

func TestReplayBadInput(t *testing.T) {
	cfgPath, _, _ := replayFixture(t, "http://127.0.0.1:1/x")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"notifications"}, 2, "want a subcommand"},
		{[]string{"notifications", "replay"}, 2, "want exactly one endpoint name"},
		{[]string{"notifications", "replay", "sink"}, 2, "pass --config or set REGISTRY_CONFIGURATION_PATH"},
		{[]string{"notifications", "replay", "nope", "--config", cfgPath}, 1, `no endpoint named "nope" in notifications.endpoints (configured: "other", "sink")`},
		{[]string{"notifications", "replay", "other", "--config", cfgPath}, 1, "notifications.endpoints[0] (other): no deadletter.path"},
		{[]string{"notifications", "replay", "sink", "--config", filepath.Join(t.TempDir(), "missing.yml")}, 1, "missing.yml"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(context.Background(), c.args, nil, &out, &errb)
		if code != c.code || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errb.String(), c.code, c.want)
		}
	}
}
