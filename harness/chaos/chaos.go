// Package chaos holds chaos actions as values. Each action is a small
// struct with its parameters; what a runtime can do is a small optional
// interface (EndpointStopper, Partitioner, NetworkFaulter, ...) that the
// action finds by type assertion, the way go-containerregistry's registry
// finds optional handler interfaces. A runtime without the interface an
// action needs makes Check fail naming the action, before a run starts.
package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/runtime"
)

// Action is one chaos action.
type Action interface {
	// Name is the action's honest name: "stop-endpoint", "partition", "latency", ...
	Name() string
	// Target is the endpoint acted on, "" for the registry.
	Target() string
	// Check returns nil when rt can perform the action, else an
	// *UnsupportedError naming the action and what rt lacks.
	Check(rt runtime.Runtime) error
	// Do performs the action.
	Do(ctx context.Context, env Env) error
}

// Env is what an action acts on.
type Env struct {
	Runtime runtime.Runtime
	// Fake returns the admin client of a fake endpoint.
	Fake func(name string) *endpoint.Client
	// Restarted is told the registry's handle after a restart (its URLs
	// may have changed); may be nil.
	Restarted func(runtime.Registry)
}

// Step is an action at a point of a timeline.
type Step struct {
	At     time.Duration
	Action Action
}

// Record is one performed step.
type Record struct {
	At       time.Duration `json:"at"`
	Action   string        `json:"action"`
	Endpoint string        `json:"endpoint,omitempty"`
	Params   string        `json:"params,omitempty"` // the action's parameters (Params)
	Error    string        `json:"error,omitempty"`
	// Time is when the action completed: At counts from its timeline's
	// start (the load's, or the end of the load for AfterLoad).
	Time time.Time `json:"time"`
}

// UnsupportedError says that a runtime cannot perform an action; it wraps
// errors.ErrUnsupported.
type UnsupportedError struct {
	Action  string // the action's name
	Target  string
	Runtime string
	Lacks   string // the capability, e.g. "chaos.Partitioner"
}

func (e *UnsupportedError) Error() string {
	on := ""
	if e.Target != "" {
		on = " on " + e.Target
	}
	return fmt.Sprintf("chaos action %s%s: runtime %s cannot do it (no %s)", e.Action, on, e.Runtime, e.Lacks)
}

// Unwrap makes errors.Is(err, errors.ErrUnsupported) true.
func (e *UnsupportedError) Unwrap() error { return errors.ErrUnsupported }

// CheckAll checks every step against rt; the error names every action rt lacks.
func CheckAll(rt runtime.Runtime, steps ...[]Step) error {
	var errs []error
	for _, ss := range steps {
		for _, s := range ss {
			if s.Action == nil {
				errs = append(errs, fmt.Errorf("chaos step at %s: no action", s.At))
				continue
			}
			if err := s.Action.Check(rt); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Run performs steps at their times after start and records each. A
// failed action is recorded, not fatal: the verdict reports it.
func Run(ctx context.Context, env Env, steps []Step, start time.Time, logf func(string, ...any)) []Record {
	var out []Record
	for _, st := range steps {
		if wait := time.Until(start.Add(st.At)); wait > 0 {
			select {
			case <-ctx.Done():
				return out
			case <-time.After(wait):
			}
		}
		err := st.Action.Do(ctx, env)
		rec := Record{At: time.Since(start), Time: time.Now(), Action: st.Action.Name(), Endpoint: st.Action.Target(), Params: Params(st.Action)}
		if err != nil {
			rec.Error = err.Error()
		}
		if logf != nil {
			logf("chaos at %s: %s %s %s", rec.At.Round(time.Millisecond), rec.Action, rec.Endpoint, rec.Error)
		}
		out = append(out, rec)
	}
	return out
}

// RestartsRegistry reports whether any step kills or restarts the
// registry or one of its replicas (its counters then cover its last life
// only).
func RestartsRegistry(steps ...[]Step) bool {
	for _, ss := range steps {
		for _, s := range ss {
			switch s.Action.(type) {
			case KillRegistry, RestartRegistry, KillReplica, StartReplica, RestartReplica, RollingRestart:
				return true
			}
		}
	}
	return false
}

// find looks for capability T on rt; endpoint-side capabilities are also
// looked for in a wrapped runtime (an external registry's wrapper keeps
// the endpoints of the runtime it wraps, not its registry).
func find[T any](rt runtime.Runtime, endpointSide bool) (T, bool) {
	for rt != nil {
		if t, ok := rt.(T); ok {
			return t, true
		}
		u, ok := rt.(runtime.Unwrapper)
		if !ok || !endpointSide {
			break
		}
		rt = u.Unwrap()
	}
	var zero T
	return zero, false
}

// capability returns a's capability T on rt, or an *UnsupportedError
// naming the action and T. Registry actions (no Target) do not look
// through a wrapper.
func capability[T any](a Action, rt runtime.Runtime) (T, error) {
	t, ok := find[T](rt, a.Target() != "")
	if !ok {
		lacks := strings.TrimPrefix(fmt.Sprintf("%T", (*T)(nil)), "*")
		return t, &UnsupportedError{Action: a.Name(), Target: a.Target(), Runtime: rt.Name(), Lacks: lacks}
	}
	return t, nil
}

// need is Check for an action needing capability T.
func need[T any](a Action, rt runtime.Runtime) error {
	_, err := capability[T](a, rt)
	return err
}

// onEndpoint performs an endpoint action with capability T's method f.
func onEndpoint[T any](ctx context.Context, a Action, env Env, f func(T, context.Context, string) error) error {
	t, err := capability[T](a, env.Runtime)
	if err != nil {
		return err
	}
	return f(t, ctx, a.Target())
}

// onRegistry performs a registry action with capability T's method f.
func onRegistry[T any](ctx context.Context, a Action, env Env, f func(T, context.Context) error) error {
	t, err := capability[T](a, env.Runtime)
	if err != nil {
		return err
	}
	return f(t, ctx)
}
