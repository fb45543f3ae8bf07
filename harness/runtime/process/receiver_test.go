package process_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/process"
)

// A receiver in EndpointSpec runs the fake child in proxy mode: deliveries
// reach the user's receiver and its status comes back through the fake.
func TestEndpointInFrontOfAUsersReceiver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bins, err := process.Build(ctx, "../../..", t.TempDir(), "fake-endpoint")
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	defer recv.Close()
	rt, err := process.New(bins)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	ep, err := rt.NewEndpoint(ctx, runtime.EndpointSpec{Name: "sink", Receiver: recv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"events":[{"id":"e1","timestamp":"2026-01-01T00:00:00Z","action":"push","target":{"repository":"r","digest":"sha256:` + strings.Repeat("a", 64) + `"}}]}`
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ep.RegistryURL, strings.NewReader(body))
	req.Header.Set("Content-Type", endpoint.MediaTypeEvents)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot || got.Load() != 1 {
		t.Fatalf("status %d, receiver got %d deliveries: want the receiver's 418 through the fake", resp.StatusCode, got.Load())
	}
	st, err := endpoint.NewClient(ep.AdminURL).Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Forwarded != 1 || st.Statuses[endpoint.StatusKey(http.StatusTeapot)] != 1 {
		t.Fatalf("fake stats %+v: want one forward answered 418", st)
	}
}
