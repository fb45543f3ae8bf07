package endpoint

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// 32 senders, each re-sending some of its events: every counter and every
// ledger row is exact, and the sequence fault hands out exactly its share.
func TestExactUnderConcurrency(t *testing.T) {
	const senders, posts = 32, 40
	s := start(t, WithProfile(Profile{Fault: Fault{Sequence: []int{200, 500, 503, 200}}}))
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for w := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var prev ev
			for i := range posts {
				e := newEv(fmt.Sprintf("repo/%d", w), "push")
				es := []ev{e}
				if i%4 == 3 { // every 4th POST also re-sends the previous event
					es = append(es, prev)
				}
				prev = e
				if _, err := post(c, s.URL(), es...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := senders * posts
	dups := senders * (posts / 4)
	got := s.Stats()
	if got.Deliveries != total || got.Unique != total || got.Duplicates != dups || got.Events != total+dups {
		t.Fatalf("stats %+v", got)
	}
	// The sequence is consumed once per POST: exact shares.
	want := map[string]int{"200 OK": total / 2, "500 Internal Server Error": total / 4, "503 Service Unavailable": total / 4}
	for k, v := range want {
		if got.Statuses[k] != v {
			t.Fatalf("Statuses %v, want %v", got.Statuses, want)
		}
	}
	rows := s.Ledger(Filter{})
	if len(rows) != total+dups || got.LedgerLen != len(rows) {
		t.Fatalf("%d rows, want %d", len(rows), total+dups)
	}
	attempts := map[string][]int{}
	for _, r := range rows {
		attempts[r.ID] = append(attempts[r.ID], r.Attempt)
	}
	twice := 0
	for id, a := range attempts {
		switch {
		case len(a) == 1 && a[0] == 1:
		case len(a) == 2 && a[0] == 1 && a[1] == 2:
			twice++
		default:
			t.Fatalf("%s attempts %v", id, a)
		}
	}
	if twice != dups {
		t.Fatalf("%d ids seen twice, want %d", twice, dups)
	}
}

func TestLedgerCapKeepsCountersExact(t *testing.T) {
	s := start(t, WithLedgerCap(10))
	c := fresh(time.Second)
	var last []ev
	for i := range 25 {
		e := newEv("r", "push")
		if i >= 15 {
			last = append(last, e)
		}
		st, err := post(c, s.URL(), e)
		mustStatus(t, st, err, 200)
	}
	got := s.Stats()
	if got.Deliveries != 25 || got.Unique != 25 || got.LedgerLen != 10 || got.LedgerDropped != 15 || got.Statuses["200 OK"] != 25 {
		t.Fatalf("stats %+v", got)
	}
	rows := s.Ledger(Filter{})
	for i, r := range rows {
		if r.ID != last[i].ID {
			t.Fatalf("row %d is %s, want %s (the newest 10, oldest first)", i, r.ID, last[i].ID)
		}
	}
	s.Reset()
	if got := s.Stats(); got.Deliveries != 0 || got.LedgerLen != 0 || len(got.Statuses) != 0 {
		t.Fatalf("after reset %+v", got)
	}
}
