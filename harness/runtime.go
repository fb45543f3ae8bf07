// Package harness drives push load through a container registry, breaks its
// webhook receivers on purpose, samples /debug/vars and reconciles what the
// registry reports against what really happened.
package harness

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Runtime starts the pieces of a scenario (one registry, fake webhook
// endpoints) and performs chaos actions on them.
//
// Address spaces: the registry and the harness may not see the world from the
// same place. In a container runtime the registry reaches an endpoint by its
// network alias (http://sink-a:8080/callback) while the harness reaches the
// same endpoint's admin API through a published host port
// (http://127.0.0.1:49153). Every handle therefore carries both: the URL to
// put in the registry's config (Endpoint.RegistryURL) and the URLs for the
// harness (Endpoint.AdminURL, Registry.URL, Registry.DebugURL). In-process
// and process runtimes use loopback for both.
//
// Order of use: NewEndpoint for every endpoint first (their RegistryURLs go
// into the registry config), then StartRegistry, then load and chaos, then
// Close. A Runtime serves one scenario at a time.
type Runtime interface {
	// Name is a short identifier: "inprocess", "process", "docker", "external".
	Name() string
	// Capabilities says what this runtime can do honestly.
	Capabilities() Capabilities

	// NewEndpoint starts a fake webhook receiver with the given fault
	// profile (JSON of fakes/endpoint.Profile; nil means "answer 200").
	NewEndpoint(ctx context.Context, spec EndpointSpec) (Endpoint, error)
	// StartRegistry starts the registry under test. The endpoint URLs in
	// spec's config must be RegistryURLs of started endpoints.
	StartRegistry(ctx context.Context, spec RegistrySpec) (Registry, error)

	// Chaos. Each returns an error wrapping ErrUnsupported (see Unsupported)
	// when the runtime cannot do it honestly.
	StopEndpoint(ctx context.Context, name string) error  // receiver gone: connections refused
	StartEndpoint(ctx context.Context, name string) error // back on the same address; ledger and counters kept
	PauseEndpoint(ctx context.Context, name string) error // frozen: connections accepted, never answered
	UnpauseEndpoint(ctx context.Context, name string) error
	Partition(ctx context.Context, name string) error // cut the network between registry and endpoint
	Heal(ctx context.Context, name string) error
	KillRegistry(ctx context.Context) error    // SIGKILL semantics: nothing drained
	RestartRegistry(ctx context.Context) error // same config and storage; addresses may change (read Registry again)
	// Registry returns the current handle of the running registry (URLs may
	// change after RestartRegistry).
	Registry() (Registry, error)

	// Close stops everything this runtime started and removes what it made.
	Close(ctx context.Context) error
}

// Capabilities lists what a runtime (and its registry) can do.
type Capabilities struct {
	StopEndpoint    bool // StopEndpoint / StartEndpoint
	PauseEndpoint   bool
	Partition       bool
	KillRegistry    bool // a real kill -9 (process/container) or a hard close
	RestartRegistry bool
	// OwnRegistry: the registry is ours (extensions, test fault hooks).
	OwnRegistry bool
}

// RegistrySpec says which registry to run.
//
// Our registry (every runtime) and another registry binary (process
// runtime) are configured by ConfigTemplate, a text/template of a config.yml
// in Distribution's format rendered with the Addrs the runtime chooses:
// {{.Addr}} for http.addr, {{.DebugAddr}} for http.debug.addr and
// {{.StorageDir}} for storage.filesystem.rootdirectory. Notification
// endpoint URLs in it are already the endpoints' RegistryURLs.
type RegistrySpec struct {
	ConfigTemplate string
	// Binary, when set, runs this executable instead of our registry
	// (e.g. CNCF Distribution's `registry`); only the process runtime can.
	Binary *BinaryRegistry
	// External, when set, is a registry someone else runs: nothing is
	// started, ConfigTemplate is ignored, and chaos on it is unsupported.
	External *ExternalRegistry
	// Faults are test-only fault hooks in our registry's notifier (the
	// harness self-test). Runtimes that cannot inject them return
	// ErrUnsupported when any is set.
	Faults Faults
}

// Addrs is what a runtime fills into a RegistrySpec.ConfigTemplate.
type Addrs struct {
	Addr       string // e.g. 127.0.0.1:0 (in-process), 127.0.0.1:41234 (process), :5000 (container)
	DebugAddr  string
	StorageDir string
}

// ExternalRegistry is a registry someone else runs: only URLs are known.
type ExternalRegistry struct {
	URL                 string // API base, e.g. http://127.0.0.1:5000
	DebugURL            string // debug server base, e.g. http://127.0.0.1:5001; empty if none
	MetricsPath         string // Prometheus path on DebugURL; empty if none
	SingleRequestUpload bool
}

// BinaryRegistry is another registry program run as a child process.
type BinaryRegistry struct {
	Path string   // executable
	Args []string // {{config}} is replaced by the rendered config's path; default: serve {{config}}
	Env  []string
	// SingleRequestUpload: the binary completes POST ?digest= with a body.
	// CNCF Distribution does not.
	SingleRequestUpload bool
	// OwnRegistry: the binary is our cmd/registry (extensions, fault hooks).
	OwnRegistry bool
}

// Registry is a running registry as seen by the harness.
type Registry struct {
	URL      string // API base URL reachable from the harness
	DebugURL string // debug server base URL, empty when there is none
	// MetricsPath is the Prometheus path on DebugURL, empty when disabled.
	MetricsPath string
	// SingleRequestUpload: POST ?digest= with a body completes (201).
	SingleRequestUpload bool
	// OwnRegistry: this is our registry (extensions, fault hooks).
	OwnRegistry bool
}

// LogSaver is implemented by runtimes that can save the logs of what they
// started (e.g. container logs) into dir, for a failed spec's report.
type LogSaver interface {
	SaveLogs(ctx context.Context, dir string) error
}

// EndpointSpec starts one fake receiver.
type EndpointSpec struct {
	Name    string
	Profile []byte // JSON of endpoint.Profile; nil = always 200
}

// Endpoint is a running fake receiver.
type Endpoint struct {
	Name string
	// RegistryURL is the receiver URL as the registry must dial it
	// (container alias in docker, loopback otherwise), path included.
	RegistryURL string
	// AdminURL is the fake's admin API as the harness reaches it
	// (endpoint.NewClient(AdminURL) gives the admin client).
	AdminURL string
}

// Faults are the notifier's test-only fault hooks (notifications.Faults).
type Faults struct {
	DropOneIn              int  // drop one accepted event in N, silently
	ForgetPendingDecrement bool // never decrement Pending on delivery
	CountFailureAsSuccess  bool // count a failed attempt as a success
}

// Any reports whether any fault is set.
func (f Faults) Any() bool {
	return f.DropOneIn > 0 || f.ForgetPendingDecrement || f.CountFailureAsSuccess
}

// ErrUnsupported is returned (wrapped) by a runtime that cannot perform an
// action honestly. errors.Is(err, errors.ErrUnsupported) holds too.
type ErrUnsupported struct {
	Runtime string
	Action  string
	Reason  string
}

func (e *ErrUnsupported) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("runtime %s: %s unsupported", e.Runtime, e.Action)
	}
	return fmt.Sprintf("runtime %s: %s unsupported: %s", e.Runtime, e.Action, e.Reason)
}

// Unwrap makes errors.Is(err, errors.ErrUnsupported) true.
func (e *ErrUnsupported) Unwrap() error { return errors.ErrUnsupported }

// Unsupported builds an *ErrUnsupported.
func Unsupported(runtime, action, reason string) error {
	return &ErrUnsupported{Runtime: runtime, Action: action, Reason: reason}
}

// DefaultStartTimeout bounds how long a runtime waits for a piece to be healthy.
const DefaultStartTimeout = 30 * time.Second
