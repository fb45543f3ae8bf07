package runtime

import "context"

// ExternalRegistry is a registry someone else runs: only URLs are known.
type ExternalRegistry struct {
	URL                 string // API base, e.g. http://127.0.0.1:5000
	DebugURL            string // debug server base, e.g. http://127.0.0.1:5001; empty if none
	MetricsPath         string // Prometheus path on DebugURL; empty if none
	SingleRequestUpload bool
	NoTagQuery          bool // PUT by digest ignores ?tag= (runtime.Registry.NoTagQuery)
}

// WithExternal returns a runtime whose registry is ext (nothing is started
// for it) and whose endpoints are rt's. It is the one place an external
// registry is handled: the result has no registry chaos (kill, restart) and
// no local storage, while endpoint chaos reaches rt through Unwrap.
func WithExternal(rt Runtime, ext ExternalRegistry) Runtime { return &external{inner: rt, ext: ext} }

type external struct {
	inner Runtime
	ext   ExternalRegistry
}

func (e *external) Name() string { return e.inner.Name() + "+external" }

func (e *external) NewEndpoint(ctx context.Context, spec EndpointSpec) (Endpoint, error) {
	return e.inner.NewEndpoint(ctx, spec)
}

// StartRegistry starts nothing: the registry runs already. Fault hooks and
// another binary cannot be put into it.
func (e *external) StartRegistry(_ context.Context, spec RegistrySpec) (Registry, error) {
	if spec.HasFaults() {
		return Registry{}, Unsupported(e.Name(), "fault hooks", "the registry is external")
	}
	if spec.Binary != nil {
		return Registry{}, Unsupported(e.Name(), "registry binary", "the registry is external")
	}
	if spec.Image != nil {
		return Registry{}, Unsupported(e.Name(), "registry image", "the registry is external")
	}
	return e.Registry()
}

func (e *external) Registry() (Registry, error) {
	return Registry{URL: e.ext.URL, DebugURL: e.ext.DebugURL, MetricsPath: e.ext.MetricsPath, SingleRequestUpload: e.ext.SingleRequestUpload, NoTagQuery: e.ext.NoTagQuery}, nil
}

func (e *external) Close(ctx context.Context) error { return e.inner.Close(ctx) }

// Unwrap gives the runtime that runs the endpoints (chaos on endpoints and
// log saving look there; registry chaos does not).
func (e *external) Unwrap() Runtime { return e.inner }

// Unwrapper is a runtime wrapping another, like WithExternal's.
type Unwrapper interface{ Unwrap() Runtime }
