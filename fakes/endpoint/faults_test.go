package endpoint

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func mustSet(t testing.TB, s *Server, p Profile) {
	t.Helper()
	if err := s.SetProfile(p); err != nil {
		t.Fatal(err)
	}
}

func statuses(t testing.TB, s *Server, n int) []int {
	t.Helper()
	c := fresh(5 * time.Second)
	out := make([]int, n)
	for i := range out {
		st, err := post(c, s.URL(), newEv("r", "push"))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = st
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultFixedStatus(t *testing.T) {
	s := start(t, WithProfile(Profile{Fault: Fault{Status: 503}}))
	if got := statuses(t, s, 3); !equalInts(got, []int{503, 503, 503}) {
		t.Fatal(got)
	}
	if got := s.Stats(); got.Statuses["503 Service Unavailable"] != 3 || got.Delivered != 0 || got.Latency.Count != 0 {
		t.Fatalf("stats %+v", got)
	}
}

func TestFaultSequenceRepeatsExactly(t *testing.T) {
	s := start(t, WithProfile(Profile{Fault: Fault{Sequence: []int{500, 500, 200}}}))
	want := []int{500, 500, 200, 500, 500, 200, 500}
	if got := statuses(t, s, 7); !equalInts(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	// Setting the profile again starts the sequence again.
	mustSet(t, s, Profile{Fault: Fault{Sequence: []int{404, 200}}})
	if got := statuses(t, s, 3); !equalInts(got, []int{404, 200, 404}) {
		t.Fatal(got)
	}
	if got := s.Stats().Statuses; got["500 Internal Server Error"] != 5 || got["200 OK"] != 3 || got["404 Not Found"] != 2 {
		t.Fatal(got)
	}
}

func TestFaultFailFirstThenSucceed(t *testing.T) {
	s := start(t, WithProfile(Profile{Fault: Fault{FailFirst: 3, FailStatus: 502}}))
	if got := statuses(t, s, 5); !equalInts(got, []int{502, 502, 502, 200, 200}) {
		t.Fatal(got)
	}
}

func TestFaultSeededErrorRateIsReproducible(t *testing.T) {
	f := Fault{ErrorRate: 0.3, ErrorStatus: 503, Seed: 42}
	model := newFaultState(f)
	want := make([]int, 200)
	fails := 0
	for i := range want {
		want[i] = orDefault(model.decide().status, 200)
		if want[i] == 503 {
			fails++
		}
	}
	if fails < 30 || fails > 90 {
		t.Fatalf("rate 0.3 gave %d/200 failures", fails)
	}
	s := start(t, WithProfile(Profile{Fault: f}))
	if got := statuses(t, s, 200); !equalInts(got, want) {
		t.Fatalf("seed 42 over HTTP differs from the model:\n got %v\nwant %v", got, want)
	}
	if got := s.Stats().Statuses["503 Service Unavailable"]; got != fails {
		t.Fatalf("503 count %d, want %d", got, fails)
	}
	// A second server with the same seed answers the same, another seed differs.
	s2 := start(t, WithProfile(Profile{Fault: f}))
	if got := statuses(t, s2, 200); !equalInts(got, want) {
		t.Fatal("same seed, different answers")
	}
	mustSet(t, s2, Profile{Fault: Fault{ErrorRate: 0.3, ErrorStatus: 503, Seed: 43}})
	if got := statuses(t, s2, 200); equalInts(got, want) {
		t.Fatal("different seed, same answers")
	}
}

func TestLatencyDistributions(t *testing.T) {
	uni := newFaultState(Fault{Latency: &Latency{Min: Duration(10 * time.Millisecond), Max: Duration(20 * time.Millisecond), Seed: 1}})
	uni2 := newFaultState(Fault{Latency: &Latency{Min: Duration(10 * time.Millisecond), Max: Duration(20 * time.Millisecond), Seed: 1}})
	for range 1000 {
		d := uni.decide().delay
		if d < 10*time.Millisecond || d > 20*time.Millisecond {
			t.Fatalf("uniform draw %v out of [10ms,20ms]", d)
		}
		if d2 := uni2.decide().delay; d2 != d {
			t.Fatal("same seed, different uniform draws")
		}
	}
	tail := newFaultState(Fault{Latency: &Latency{Median: Duration(10 * time.Millisecond), Sigma: 1, Seed: 7}})
	var below, far int
	for range 2000 {
		d := tail.decide().delay
		if d < 10*time.Millisecond {
			below++
		}
		if d > 50*time.Millisecond { // ~5% for sigma 1
			far++
		}
	}
	if below < 900 || below > 1100 || far < 40 {
		t.Fatalf("lognormal: %d/2000 below the median, %d beyond 5x", below, far)
	}
}

func TestFaultLatencyDelaysTheAnswer(t *testing.T) {
	s := start(t, WithProfile(Profile{Fault: Fault{Latency: &Latency{Fixed: Duration(100 * time.Millisecond)}}}))
	t0 := time.Now()
	st, err := post(fresh(5*time.Second), s.URL(), newEv("r", "push"))
	mustStatus(t, st, err, 200)
	if d := time.Since(t0); d < 100*time.Millisecond {
		t.Fatalf("answered after %v, want >= 100ms", d)
	}
}

func TestFaultLatencyOverClientTimeoutIsATimeoutNotAStatus(t *testing.T) {
	s := start(t, WithProfile(Profile{Fault: Fault{Latency: &Latency{Fixed: Duration(2 * time.Second)}}}))
	_, err := post(fresh(100*time.Millisecond), s.URL(), newEv("r", "push"))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("want a client timeout, got %v", err)
	}
	eventually(t, "Timeouts == 1", func() bool { return s.Stats().Timeouts == 1 })
	if got := s.Stats(); len(got.Statuses) != 0 || got.Deliveries != 1 {
		t.Fatalf("stats %+v", got)
	}
	if rows := s.Ledger(Filter{}); len(rows) != 1 || rows[0].Outcome != OutcomeTimeout || rows[0].Status != 0 {
		t.Fatalf("rows %+v", rows)
	}
}

func TestFaultHangExceedsClientTimeout(t *testing.T) {
	s := start(t, WithProfile(Profile{Fault: Fault{Hang: true}}))
	t0 := time.Now()
	_, err := post(fresh(200*time.Millisecond), s.URL(), newEv("r", "push"))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("want a client timeout, got %v", err)
	}
	if d := time.Since(t0); d < 200*time.Millisecond {
		t.Fatalf("gave up after %v", d)
	}
	eventually(t, "Hangs == 1", func() bool { return s.Stats().Hangs == 1 })
	got := s.Stats()
	if len(got.Statuses) != 0 || got.Deliveries != 1 || got.Events != 1 {
		t.Fatalf("stats %+v", got)
	}
	if rows := s.Ledger(Filter{Outcome: OutcomeHang}); len(rows) != 1 || rows[0].Status != 0 {
		t.Fatalf("rows %+v", rows)
	}
}

func TestCloseReleasesHungRequests(t *testing.T) {
	s := New(WithProfile(Profile{Fault: Fault{Hang: true}}))
	if err := s.Start("127.0.0.1:0", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := post(fresh(0), s.URL(), newEv("r", "push")); errc <- err }()
	eventually(t, "the hang recorded", func() bool { return len(s.Ledger(Filter{})) == 1 })
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a hung request")
	}
	if err := <-errc; err == nil {
		t.Fatal("hung request got an answer")
	}
}

func TestFaultResetIsATransportError(t *testing.T) {
	s := start(t, WithProfile(Profile{Fault: Fault{Reset: true}}))
	for _, c := range []*http.Client{fresh(2 * time.Second), {Timeout: 2 * time.Second}} {
		st, err := post(c, s.URL(), newEv("r", "push"))
		if err == nil {
			t.Fatalf("reset answered with status %d", st)
		}
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("want connection reset, got %v", err)
		}
	}
	got := s.Stats()
	if got.Resets != 2 || len(got.Statuses) != 0 || got.Deliveries != 2 {
		t.Fatalf("stats %+v", got)
	}
}

func TestFaultRefuseThenBackOnTheSamePort(t *testing.T) {
	s := start(t)
	url := s.URL()
	keep := &http.Client{Timeout: 2 * time.Second} // holds a kept-alive connection
	st, err := post(keep, url, newEv("r", "push"))
	mustStatus(t, st, err, 200)

	mustSet(t, s, Profile{Refuse: true})
	if s.Stats().Up {
		t.Fatal("Up while refusing")
	}
	// A kept-alive connection was dropped: the client may race its
	// close and get EOF once, but never a status.
	if st, err := post(keep, url, newEv("r", "push")); err == nil {
		t.Fatalf("kept-alive connection answered %d while refusing", st)
	}
	for _, c := range []*http.Client{fresh(2 * time.Second), keep} {
		_, err = post(c, url, newEv("r", "push"))
		var op *net.OpError
		if !errors.Is(err, syscall.ECONNREFUSED) || !errors.As(err, &op) || op.Op != "dial" {
			t.Fatalf("want a dial error (connection refused), got %v", err)
		}
	}
	mustSet(t, s, Profile{})
	if s.URL() != url {
		t.Fatalf("came back on %s, was %s", s.URL(), url)
	}
	st, err = post(fresh(2*time.Second), url, newEv("r", "push"))
	mustStatus(t, st, err, 200)
	if got := s.Stats(); got.Deliveries != 2 || !got.Up {
		t.Fatalf("stats %+v", got)
	}
}

func TestStartRefusingReservesThePort(t *testing.T) {
	s := start(t, WithProfile(Profile{Refuse: true}))
	if _, err := post(fresh(time.Second), s.URL(), newEv("r", "push")); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("want refused, got %v", err)
	}
	mustSet(t, s, Profile{})
	st, err := post(fresh(time.Second), s.URL(), newEv("r", "push"))
	mustStatus(t, st, err, 200)
}

func TestFaultFlapAlternates(t *testing.T) {
	const period = 100 * time.Millisecond
	s := start(t, WithProfile(Profile{Flap: Duration(period)}))
	addr := s.recv.boundAddr()
	var states []bool // distinct consecutive observations
	deadline := time.Now().Add(3 * time.Second)
	for len(states) < 5 && time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		up := err == nil
		if up {
			c.Close()
		} else if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNRESET) {
			// A dial still in the accept backlog when the listener closes is
			// reset rather than refused: both are "down".
			t.Fatalf("down should refuse, got %v", err)
		}
		if len(states) == 0 || states[len(states)-1] != up {
			states = append(states, up)
		}
		time.Sleep(5 * time.Millisecond) // sampling interval: observations, not a wait for a condition
	}
	if len(states) < 5 || !states[0] {
		t.Fatalf("observed %v, want up, down, up, down, up", states)
	}
	// A profile without flap stops it, up.
	mustSet(t, s, Profile{})
	for range 30 {
		st, err := post(fresh(time.Second), s.URL(), newEv("r", "push"))
		mustStatus(t, st, err, 200)
	}
}

func TestRulesApplyOnlyToMatchingEvents(t *testing.T) {
	s := start(t, WithProfile(Profile{Rules: []Rule{
		{Repository: "slow/*", Fault: Fault{Hang: true}},
		{Action: "pull", Fault: Fault{Status: 404}},
		{MediaType: "application/octet-stream", Fault: Fault{Sequence: []int{500, 201}}},
	}}))
	c := fresh(300 * time.Millisecond)
	if _, err := post(c, s.URL(), newEv("slow/one", "push")); err == nil {
		t.Fatal("slow/one answered")
	}
	st, err := post(c, s.URL(), newEv("fast/one", "push"))
	mustStatus(t, st, err, 200)
	st, err = post(c, s.URL(), newEv("fast/one", "pull"))
	mustStatus(t, st, err, 404)
	blob := newEv("fast/one", "push")
	blob.Target.MediaType = "application/octet-stream"
	for _, want := range []int{500, 201, 500} {
		st, err = post(c, s.URL(), blob)
		mustStatus(t, st, err, want)
	}
	// An envelope with one matching event takes the rule.
	if _, err := post(c, s.URL(), newEv("fast/two", "push"), newEv("slow/two", "push")); err == nil {
		t.Fatal("mixed envelope with a slow event answered")
	}
	eventually(t, "two hangs", func() bool { return s.Stats().Hangs == 2 })
}

func TestAuthorizationHeader(t *testing.T) {
	s := start(t, WithProfile(Profile{Authorization: "Bearer s3cret"}))
	c := fresh(time.Second)
	for _, tc := range []struct {
		header string
		want   int
	}{{"", 401}, {"Bearer wrong", 401}, {"Bearer s3cret", 200}} {
		req := request(t, s.URL(), body(newEv("r", "push")))
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		mustStatus(t, resp.StatusCode, nil, tc.want)
	}
	if got := s.Stats(); got.Statuses["401 Unauthorized"] != 2 || got.Unauthorized != 2 || got.Statuses["200 OK"] != 1 {
		t.Fatalf("stats %+v", got)
	}
}

func TestStandardWebhooksSignature(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a very secret key"))
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another key"))
	s := start(t, WithProfile(Profile{Secret: secret}))
	c := fresh(time.Second)
	send := func(b []byte, id string, ts time.Time, sig string) int {
		req := request(t, s.URL(), b)
		if id != "" {
			req.Header.Set("webhook-id", id)
			req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
			req.Header.Set("webhook-signature", sig)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	b := body(newEv("r", "push"))
	now := time.Now()
	good, _ := Sign(secret, "msg_1", now, b)
	bad, _ := Sign(other, "msg_1", now, b)
	old := now.Add(-6 * time.Minute)
	oldSig, _ := Sign(secret, "msg_1", old, b)
	cases := []struct {
		name string
		b    []byte
		id   string
		ts   time.Time
		sig  string
		want int
	}{
		{"valid", b, "msg_1", now, good, 200},
		{"one of several", b, "msg_1", now, bad + " v1,Zm9v " + good, 200},
		{"no headers", b, "", now, "", 401},
		{"wrong key", b, "msg_1", now, bad, 401},
		{"tampered body", bytes.Replace(b, []byte("push"), []byte("pull"), 1), "msg_1", now, good, 401},
		{"other id", b, "msg_2", now, good, 401},
		{"too old", b, "msg_1", old, oldSig, 401},
		{"wrong version", b, "msg_1", now, "v2," + good[3:], 401},
	}
	for _, tc := range cases {
		if got := send(tc.b, tc.id, tc.ts, tc.sig); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := s.Stats(); got.Unauthorized != 6 || got.Statuses["401 Unauthorized"] != 6 {
		t.Fatalf("stats %+v", got)
	}
}

func TestInvalidProfilesNameTheKey(t *testing.T) {
	for in, want := range map[string]string{
		`{"status":42}`:                              "profile.status",
		`{"sequence":[200,7]}`:                       "sequence[1]",
		`{"errorRate":2}`:                            "errorRate",
		`{"hang":true,"reset":true}`:                 "exclusive",
		`{"flap":"soon"}`:                            "duration",
		`{"latency":{"min":"2s","max":"1s"}}`:        "latency",
		`{"latency":{"mean":"1s"}}`:                  "mean",
		`{"rules":[{"repository":"[","hang":true}]}`: "rules[0].repository",
		`{"secret":"abc"}`:                           "whsec_",
		`{"colour":"red"}`:                           "colour",
	} {
		_, err := ParseProfile([]byte(in))
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("%s: error %v, want it to mention %q", in, err, want)
		}
	}
	p, err := ParseProfile([]byte(`{"latency":"250ms","flap":1000000,"rules":[{"action":"pull","status":404}]}`))
	if err != nil || p.Latency.Fixed != Duration(250*time.Millisecond) || p.Flap != Duration(time.Millisecond) || p.Rules[0].Status != 404 {
		t.Fatalf("%+v %v", p, err)
	}
}
