package endpoint

import (
	"bytes"
	"net/http"
	"os"
	"testing"
)

func TestReceiveRecordsEveryEventOfEveryAttempt(t *testing.T) {
	s := start(t)
	c := fresh(0)
	a, b := newEv("r/a", "push"), newEv("r/b", "pull")
	st, err := post(c, s.URL()+"/callback", a, b)
	mustStatus(t, st, err, 200)
	st, err = post(c, s.URL()+"/callback", a)
	mustStatus(t, st, err, 200)

	got := s.Stats()
	if got.Deliveries != 2 || got.Events != 3 || got.Unique != 2 || got.Duplicates != 1 || got.Statuses["200 OK"] != 2 || got.Delivered != 2 {
		t.Fatalf("stats %+v", got)
	}
	if got.Latency.Count != 2 {
		t.Fatalf("latency samples: want 2 (first success per id), got %d", got.Latency.Count)
	}
	rows := s.Ledger(Filter{ID: a.ID})
	if len(rows) != 2 || rows[0].Attempt != 1 || rows[1].Attempt != 2 {
		t.Fatalf("attempts of %s: %+v", a.ID, rows)
	}
	r := rows[0]
	if r.Repository != "r/a" || r.Action != "push" || r.Tag != "latest" || r.Digest != a.Target.Digest ||
		r.MediaType != a.Target.MediaType || !r.Timestamp.Equal(a.Timestamp) || r.Status != 200 || r.Outcome != OutcomeAnswered || r.Arrived.IsZero() {
		t.Fatalf("row %+v", r)
	}
	if rows := s.Ledger(Filter{Action: "pull"}); len(rows) != 1 || rows[0].ID != b.ID {
		t.Fatalf("filter by action: %+v", rows)
	}
}

func TestReceiveDistributionEnvelope(t *testing.T) {
	s := start(t)
	for _, f := range []string{"envelope-manifest-push.json", "envelope-blob-push.json"} {
		// Copies of the envelopes Distribution v3 produced (shared/compat).
		b, err := os.ReadFile("testdata/compat/" + f)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := fresh(0).Do(request(t, s.URL()+"/", b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		mustStatus(t, resp.StatusCode, nil, 200)
	}
	rows := s.Ledger(Filter{})
	if len(rows) != 2 || rows[0].Repository != "test/repo" || rows[0].Tag != "latest" || rows[1].MediaType != "application/octet-stream" {
		t.Fatalf("rows %+v", rows)
	}
}

func TestReceiveAcceptsPlainJSONAndEmptyEnvelope(t *testing.T) {
	s := start(t)
	req := request(t, s.URL(), body(newEv("r", "push")))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := fresh(0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mustStatus(t, resp.StatusCode, nil, 200)
	st, err := post(fresh(0), s.URL())
	mustStatus(t, st, err, 200)
	if got := s.Stats(); got.Deliveries != 2 || got.Events != 1 {
		t.Fatalf("stats %+v", got)
	}
}

func TestReceiveBadRequestsRecordNoEvent(t *testing.T) {
	s := start(t, WithMaxBody(1024))
	cases := []struct {
		name, ct, body string
		want           int
	}{
		{"wrong media type", "text/plain", `{"events":[]}`, 400},
		{"no content type", "", `{"events":[]}`, 400},
		{"not json", MediaTypeEvents, `{"events":[`, 400},
		{"no events key", MediaTypeEvents, `{"evts":[]}`, 400},
		{"event without id", MediaTypeEvents, `{"events":[{"action":"push"}]}`, 400},
		{"bad timestamp", MediaTypeEvents, `{"events":[{"id":"x","timestamp":"yesterday"}]}`, 400},
		{"too big", MediaTypeEvents, `{"events":[],"pad":"` + string(bytes.Repeat([]byte("x"), 2000)) + `"}`, 400},
	}
	for _, tc := range cases {
		req := request(t, s.URL(), []byte(tc.body))
		req.Header.Set("Content-Type", tc.ct)
		resp, err := fresh(0).Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	resp, err := fresh(0).Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mustStatus(t, resp.StatusCode, nil, http.StatusMethodNotAllowed)

	got := s.Stats()
	n := len(cases) + 1
	if got.BadRequests != n || got.Deliveries != n || got.Events != 0 || got.Unique != 0 ||
		got.Statuses["400 Bad Request"] != len(cases) || got.Statuses["405 Method Not Allowed"] != 1 {
		t.Fatalf("stats %+v", got)
	}
	for _, r := range s.Ledger(Filter{}) {
		if r.Outcome != OutcomeBadRequest || r.ID != "" || r.Error == "" {
			t.Fatalf("row %+v", r)
		}
	}
}
