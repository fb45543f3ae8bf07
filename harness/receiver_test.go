package harness_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime/inprocess"
	"github.com/hookbench/hookbench/load"
	"github.com/hookbench/hookbench/scenarios"
)

// userReceiver is a user's own webhook receiver: it answers 500 to its
// first failFirst POSTs, 200 after, and remembers every event id it got.
type userReceiver struct {
	mu        sync.Mutex
	posts     int
	failFirst int
	ids       []string
}

func (u *userReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var env struct {
		Events []struct {
			ID string `json:"id"`
		} `json:"events"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	u.mu.Lock()
	u.posts++
	fail := u.posts <= u.failFirst
	if !fail {
		for _, e := range env.Events {
			u.ids = append(u.ids, e.ID)
		}
	}
	u.mu.Unlock()
	if fail {
		http.Error(w, "not yet", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (u *userReceiver) accepted() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.ids...)
}

func runWithReceiver(t *testing.T, sc model.Scenario, recv *userReceiver) *harness.Result {
	t.Helper()
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rt, err := inprocess.New()
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	res, err := harness.Run(ctx, rt, sc, harness.RunOptions{Receivers: map[string]string{"sink": srv.URL + "/hook"}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// expectEachOnce: the real receiver accepted every event the registry
// reports delivered, each once.
func expectEachOnce(t *testing.T, res *harness.Result, got []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Errorf("the real receiver accepted %s twice", id)
		}
		seen[id] = true
	}
	if want := res.Final["sink"].Successes; len(got) != want {
		t.Errorf("the real receiver accepted %d events, the registry reports %d successes", len(got), want)
	}
}

// The scenario's faults apply in front of the user's receiver, which
// answers the rest: the verdict holds and the receiver got every event once.
func TestReceiverBehindTheFakesFaults(t *testing.T) {
	sc, ok := scenarios.MustCatalog().Get("flaky-5xx")
	if !ok {
		t.Fatal("no flaky-5xx")
	}
	// A real receiver is one more hop: on a loaded machine (-race, shared
	// cores) it may near the scenarios' 300ms notification timeout, where
	// an answer sent and a timeout seen race; this test is about the proxy.
	sc.Endpoints[0].Timeout = 5 * time.Second
	recv := &userReceiver{}
	res := runWithReceiver(t, sc, recv)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	st := res.Fakes["sink"]
	if st.Forwarded != len(recv.accepted()) || st.Statuses[endpoint.StatusKey(500)] == 0 {
		t.Fatalf("fake forwarded %d, receiver accepted %d; fake statuses %v", st.Forwarded, len(recv.accepted()), st.Statuses)
	}
	expectEachOnce(t, res, recv.accepted())
}

// A 5xx of the real receiver is the fake's answer: the registry counts it
// as a failure, the ledger records it, and the verdict still holds.
func TestReceiverAnswering500ForAWhile(t *testing.T) {
	const fails = 5
	sc := model.Scenario{
		Name:      "own-receiver-500s",
		Endpoints: []model.EndpointDef{{Name: "sink", Timeout: 5 * time.Second}}, // see above
		Load:      []load.Profile{{Op: load.OpManifestPush, Count: 20, Pacing: load.Pacing{Rate: 100}}},
		Expect: model.Expect{Final: map[string]model.Counters{"sink": {
			"Events": 22, "Successes": 22, "Failures": fails, "Errors": 0, "Pending": 0,
			"Statuses[500 Internal Server Error]": fails, "Statuses[200 OK]": 22}}},
	}
	recv := &userReceiver{failFirst: fails}
	res := runWithReceiver(t, sc, recv)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	n500 := 0
	for _, d := range res.Deliveries["sink"] {
		if d.Status == 500 {
			n500++
		}
	}
	if n500 != fails {
		t.Fatalf("the fake's ledger records %d answers 500, the real receiver gave %d", n500, fails)
	}
	expectEachOnce(t, res, recv.accepted())
}

func TestReceiverForAnUnknownEndpointIsRefused(t *testing.T) {
	sc, _ := scenarios.MustCatalog().Get("smoke")
	rt, err := inprocess.New()
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	_, err = harness.Run(context.Background(), rt, sc, harness.RunOptions{Receivers: map[string]string{"nope": "http://127.0.0.1:1/"}})
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "sink") {
		t.Fatalf("want an error naming the unknown endpoint and the known ones, got %v", err)
	}
	_, err = harness.Run(context.Background(), rt, sc, harness.RunOptions{Receivers: map[string]string{"sink": "ftp://x"}})
	if err == nil || !strings.Contains(err.Error(), "http(s) URL") {
		t.Fatalf("want a bad-URL error, got %v", err)
	}
}
