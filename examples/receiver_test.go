package example

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookbench/hookbench"
)

// A team's own webhook receiver, put behind the flaky-5xx scenario: the
// fake answers 500 to 30% of deliveries in front of it, the rest reach it,
// and the registry's counters must agree with what really happened.
func TestMyReceiverUnderFlaky5xx(t *testing.T) {
	var got atomic.Int64
	mine := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got.Add(1)
		w.WriteHeader(http.StatusOK) // flaky-5xx expects Statuses[200 OK]: answer what the scenario declares
	}))
	defer mine.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sc, err := hookbench.Builtin("flaky-5xx")
	if err != nil {
		t.Fatal(err)
	}
	// My receiver is one more hop than the fake alone: give the registry
	// more than the scenario's 300ms to hear back from it.
	sc.Endpoints[0].Timeout = 3 * time.Second
	inst, err := hookbench.Run(ctx,
		hookbench.WithRuntime(hookbench.RuntimeInProcess),
		hookbench.WithScenarioValue(sc),
		hookbench.WithReceiver("sink", mine.URL+"/hook"))
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Terminate(ctx)
	if err := inst.Err(); err != nil {
		t.Fatal(err)
	}
	res := inst.Result()
	if delivered := res.Final["sink"].Successes; int64(delivered) != got.Load() {
		t.Fatalf("the registry reports %d deliveries, my receiver got %d", delivered, got.Load())
	}
	t.Logf("my receiver got %d deliveries; the fake answered 500 to %d in front of it",
		got.Load(), res.Fakes["sink"].Statuses["500 Internal Server Error"])
}
