package observe

import (
	"context"
	"errors"
	"maps"
	"sync"

	"github.com/hookbench/hookbench/fakes/endpoint"
)

// Replica is one registry replica the sampler reads.
type Replica struct {
	Name     string
	DebugURL string
}

// ReplicaSample is one replica's part of a Sample.
type ReplicaSample struct {
	Name      string                              `json:"name"`
	Endpoints map[string]endpoint.EndpointMetrics `json:"endpoints"`
	// Error: this replica did not answer; Endpoints are then its last
	// answered counters (Stale), kept in the sums so that a replica cut
	// off or killed does not make the cluster's counters go down.
	Error string `json:"error,omitempty"`
	Stale bool   `json:"stale,omitempty"`
}

// SetReplicas makes every poll read each replica's /debug/vars and sum
// their counters into Sample.Endpoints, each replica's own in
// Sample.Replicas. With sharedPending (a queue every replica shares, e.g.
// nats) each replica reports the same cluster-wide Pending, which is then
// taken once (the largest answered), not summed. Call before Run.
func (s *Sampler) SetReplicas(reps []Replica, sharedPending bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replicas = append([]Replica(nil), reps...)
	s.sharedPending = sharedPending
	s.lastSeen = map[string]map[string]endpoint.EndpointMetrics{}
}

// pollReplicas fills sm from every replica; sm.Error is set when none answered.
func (s *Sampler) pollReplicas(ctx context.Context, sm *Sample) {
	s.mu.Lock()
	reps, shared := s.replicas, s.sharedPending
	s.mu.Unlock()
	out := make([]ReplicaSample, len(reps))
	mems := make([]MemStats, len(reps))
	var wg sync.WaitGroup
	for i, rp := range reps {
		wg.Go(func() {
			rs := ReplicaSample{Name: rp.Name, Endpoints: map[string]endpoint.EndpointMetrics{}}
			v, err := FetchVars(ctx, s.Client, rp.DebugURL)
			if err != nil {
				rs.Error = err.Error()
			} else {
				for _, e := range v.Registry.Notifications.Endpoints {
					rs.Endpoints[e.Name] = e.Metrics
				}
				mems[i] = v.Memstats
			}
			out[i] = rs
		})
	}
	wg.Wait()
	var errs []error
	answered := 0
	s.mu.Lock()
	for i := range out {
		if out[i].Error == "" {
			answered++
			s.lastSeen[out[i].Name] = out[i].Endpoints
			continue
		}
		errs = append(errs, errors.New(out[i].Name+": "+out[i].Error))
		if last, ok := s.lastSeen[out[i].Name]; ok {
			out[i].Endpoints, out[i].Stale = maps.Clone(last), true
		}
	}
	s.mu.Unlock()
	sm.Replicas = out
	if answered == 0 {
		sm.Error = errors.Join(errs...).Error()
		return
	}
	var per []map[string]endpoint.EndpointMetrics
	var fresh []map[string]endpoint.EndpointMetrics
	for _, r := range out {
		per = append(per, r.Endpoints)
		if !r.Stale && r.Error == "" {
			fresh = append(fresh, r.Endpoints)
		}
	}
	sm.Endpoints = SumEndpoints(per, shared)
	if shared { // the cluster-wide figure comes from a replica that answered now
		for name, m := range sm.Endpoints {
			m.Pending = 0
			for _, f := range fresh {
				m.Pending = max(m.Pending, f[name].Pending)
			}
			sm.Endpoints[name] = m
		}
	}
	for _, m := range mems {
		sm.Mem.HeapAlloc = max(sm.Mem.HeapAlloc, m.HeapAlloc)
		sm.Mem.HeapInuse = max(sm.Mem.HeapInuse, m.HeapInuse)
		sm.Mem.Sys = max(sm.Mem.Sys, m.Sys)
		sm.Mem.NumGC += m.NumGC
		sm.Mem.TotalAlloc += m.TotalAlloc
	}
}

// SumEndpoints adds several replicas' counters per endpoint. Pending is
// summed too unless sharedPending, where every replica reports the same
// cluster-wide number: the largest is taken.
func SumEndpoints(replicas []map[string]endpoint.EndpointMetrics, sharedPending bool) map[string]endpoint.EndpointMetrics {
	out := map[string]endpoint.EndpointMetrics{}
	for _, eps := range replicas {
		for name, m := range eps {
			t := out[name]
			if sharedPending {
				t.Pending = max(t.Pending, m.Pending)
			} else {
				t.Pending += m.Pending
			}
			t.Events += m.Events
			t.Successes += m.Successes
			t.Failures += m.Failures
			t.Errors += m.Errors
			t.DeadLettered += m.DeadLettered
			t.Retries += m.Retries
			t.Batches += m.Batches
			if len(m.Statuses) > 0 && t.Statuses == nil {
				t.Statuses = map[string]int{}
			}
			for k, v := range m.Statuses {
				t.Statuses[k] += v
			}
			out[name] = t
		}
	}
	return out
}
