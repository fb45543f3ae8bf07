package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/notifications"
	"github.com/hookbench/hookbench/registry"
	"github.com/hookbench/hookbench/registry/storage/inmemory"
)

// A minimal stand-in for the real registry pipeline and fake endpoint, so
// that Run, the sampler, settle and reconciliation are tested on their own:
// one FIFO per endpoint, one POST per event, retry forever, Distribution's
// counters.

type stubEvent struct {
	ID         string    `json:"id"`
	Timestamp  time.Time `json:"timestamp"`
	Action     string    `json:"action"`
	Repository string    `json:"repository"`
	Digest     string    `json:"digest"`
	Tag        string    `json:"tag"`
	MediaType  string    `json:"mediaType"`
}

type stubSink struct {
	mu    sync.Mutex
	m     endpoint.EndpointMetrics
	queue chan stubEvent
	drop  bool // fault: forget Pending decrement
}

type stubRuntime struct {
	mu     sync.Mutex
	sinks  map[string]*stubSink
	fakes  map[string]*stubFake
	srv    []*httptest.Server
	seq    int
	faults notifications.Faults
	config string // the config template StartRegistry got
	stop   chan struct{}
}

func newStubRuntime() *stubRuntime {
	return &stubRuntime{sinks: map[string]*stubSink{}, fakes: map[string]*stubFake{}, stop: make(chan struct{})}
}

func (r *stubRuntime) Name() string { return "stub" }

func (r *stubRuntime) NewEndpoint(_ context.Context, spec runtime.EndpointSpec) (runtime.Endpoint, error) {
	f := &stubFake{stats: endpoint.Stats{Statuses: map[string]int{}}, sequence: spec.Profile.Sequence}
	recv := httptest.NewServer(http.HandlerFunc(f.receive))
	admin := httptest.NewServer(http.HandlerFunc(f.admin))
	f.url = recv.URL + "/callback"
	r.mu.Lock()
	r.fakes[spec.Name] = f
	r.srv = append(r.srv, recv, admin)
	r.mu.Unlock()
	return runtime.Endpoint{Name: spec.Name, RegistryURL: recv.URL + "/callback", AdminURL: admin.URL}, nil
}

func (r *stubRuntime) StartRegistry(_ context.Context, spec runtime.RegistrySpec) (runtime.Registry, error) {
	r.faults, r.config = spec.Faults, spec.ConfigTemplate
	for name, f := range r.fakes {
		s := &stubSink{queue: make(chan stubEvent, 10000), drop: spec.Faults.ForgetPendingDecrement}
		s.m.Statuses = map[string]int{}
		r.sinks[name] = s
		go r.deliver(s, f)
	}
	reg := httptest.NewServer(registry.New(registry.WithStorage(inmemory.New()), registry.WithDelete(true), registry.WithListener(registry.ListenerFunc(r.notify))))
	debug := httptest.NewServer(http.HandlerFunc(r.vars))
	r.srv = append(r.srv, reg, debug)
	return runtime.Registry{URL: reg.URL, DebugURL: debug.URL, SingleRequestUpload: true, OwnRegistry: true}, nil
}

func (r *stubRuntime) notify(_ context.Context, a registry.Action) {
	r.mu.Lock()
	r.seq++
	ev := stubEvent{ID: fmt.Sprint(r.seq), Timestamp: time.Now(), Action: string(a.Verb), Repository: a.Repository,
		Digest: a.Descriptor.Digest.String(), Tag: a.Tag, MediaType: a.Descriptor.MediaType}
	r.mu.Unlock()
	if a.Object == registry.Blob {
		ev.MediaType = "application/octet-stream"
	}
	if a.Verb == registry.Delete {
		ev.MediaType = ""
	}
	for _, s := range r.sinks {
		s.mu.Lock()
		s.m.Events++
		s.m.Pending++
		s.mu.Unlock()
		s.queue <- ev
	}
}

// deliver drains a sink into its fake forever (until stop).
func (r *stubRuntime) deliver(s *stubSink, f *stubFake) {
	c := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-r.stop:
			return
		case ev := <-s.queue:
			for {
				body, _ := json.Marshal(map[string]any{"events": []stubEvent{ev}})
				resp, err := c.Post(f.url, "application/json", bytes.NewReader(body))
				s.mu.Lock()
				if err != nil {
					s.m.Errors++
					s.mu.Unlock()
					continue
				}
				resp.Body.Close()
				s.m.Statuses[endpoint.StatusKey(resp.StatusCode)]++
				if resp.StatusCode < 400 {
					s.m.Successes++
					if !s.drop {
						s.m.Pending--
					}
					s.mu.Unlock()
					break
				}
				s.m.Failures++
				s.mu.Unlock()
			}
		}
	}
}

func (r *stubRuntime) vars(w http.ResponseWriter, _ *http.Request) {
	var v observe.Vars
	for name, s := range r.sinks {
		s.mu.Lock()
		m := s.m
		m.Statuses = map[string]int{}
		for k, n := range s.m.Statuses {
			m.Statuses[k] = n
		}
		s.mu.Unlock()
		v.Registry.Notifications.Endpoints = append(v.Registry.Notifications.Endpoints, observe.EndpointVars{Name: name, Metrics: m})
	}
	_ = json.NewEncoder(w).Encode(v)
}

func (r *stubRuntime) Registry() (runtime.Registry, error) {
	return runtime.Registry{}, fmt.Errorf("stub")
}
func (r *stubRuntime) Close(context.Context) error {
	close(r.stop)
	for _, s := range r.srv {
		s.Close()
	}
	return nil
}

// stubFake answers with a status sequence and records everything.
type stubFake struct {
	url      string
	mu       sync.Mutex
	sequence []int
	n        int
	stats    endpoint.Stats
	ledger   []endpoint.Delivery
	seen     map[string]bool
}

func (f *stubFake) receive(w http.ResponseWriter, req *http.Request) {
	var env struct {
		Events []stubEvent `json:"events"`
	}
	_ = json.NewDecoder(req.Body).Decode(&env)
	f.mu.Lock()
	defer f.mu.Unlock()
	status := 200
	if len(f.sequence) > 0 {
		status = f.sequence[f.n%len(f.sequence)]
	}
	f.n++
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	f.stats.Deliveries++
	f.stats.Statuses[endpoint.StatusKey(status)]++
	for _, e := range env.Events {
		attempt := 1
		if f.seen[e.ID] {
			attempt = 2
		}
		f.seen[e.ID] = true
		f.ledger = append(f.ledger, endpoint.Delivery{ID: e.ID, Action: e.Action, Repository: e.Repository, Digest: e.Digest, Tag: e.Tag,
			MediaType: e.MediaType, Timestamp: e.Timestamp, Arrived: time.Now(), Attempt: attempt, Status: status, Outcome: "answered"})
	}
	w.WriteHeader(status)
}

func (f *stubFake) admin(w http.ResponseWriter, req *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch req.URL.Path {
	case "/stats":
		_ = json.NewEncoder(w).Encode(f.stats)
	case "/ledger":
		_ = json.NewEncoder(w).Encode(f.ledger)
	case "/healthz":
	default:
		http.NotFound(w, req)
	}
}
