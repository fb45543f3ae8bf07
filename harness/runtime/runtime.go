// Package runtime says what a harness runtime is: the lifecycle of one
// scenario's pieces (fake endpoints, one registry). What else a runtime can
// do (stop an endpoint, kill the registry, network faults) is a small
// optional interface in package chaos, found by type assertion. The
// runtimes themselves are the subpackages inprocess, process and docker.
package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/notifications"
)

// Runtime starts the pieces of a scenario.
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
	// Name is a short identifier: "inprocess", "process", "docker".
	Name() string
	// NewEndpoint starts a fake webhook receiver with the given fault profile.
	NewEndpoint(ctx context.Context, spec EndpointSpec) (Endpoint, error)
	// StartRegistry starts the registry under test. The endpoint URLs in
	// spec's config must be RegistryURLs of started endpoints.
	StartRegistry(ctx context.Context, spec RegistrySpec) (Registry, error)
	// Registry returns the current handle of the running registry (URLs may
	// change after a restart).
	Registry() (Registry, error)
	// Close stops everything this runtime started and removes what it made.
	Close(ctx context.Context) error
}

// RegistrySpec says which registry to run.
//
// Our registry (every runtime) and another registry binary (process
// runtime) are configured by ConfigTemplate, a text/template of a config.yml
// in Distribution's format rendered with the Addrs the runtime chooses
// (see RenderConfig). Notification endpoint URLs in it are already the
// endpoints' RegistryURLs.
type RegistrySpec struct {
	ConfigTemplate string
	// Binary, when set, runs this executable instead of our registry
	// (e.g. CNCF Distribution's `registry`); only the process runtime can.
	Binary *BinaryRegistry
	// Faults are test-only fault hooks in our registry's notifier (the
	// harness self-test). Runtimes that cannot inject them return
	// ErrUnsupported when any is set.
	Faults notifications.Faults
	// Image, when set, runs this registry image instead of ours (e.g.
	// CNCF Distribution's); only the docker runtime can.
	Image *RegistryImage
}

// RegistryImage is any registry's container image, run with the rendered
// Distribution-format config mounted at ConfigPath. The zero values of the
// optional fields are Distribution's defaults.
type RegistryImage struct {
	Image string // reference, e.g. hookbench/distribution:v3.1.2
	// Args of the container; {{config}} is replaced by ConfigPath.
	// Default: serve {{config}}.
	Args []string
	Env  []string
	// ConfigPath inside the container (default /etc/docker/registry/config.yml).
	ConfigPath string
	// APIPort and DebugPort inside the container (default 5000 and 5001):
	// the config's http.addr and http.debug.addr.
	APIPort, DebugPort int
	// SingleRequestUpload and NoTagQuery are the registry's declared
	// differences (see BinaryRegistry).
	SingleRequestUpload bool
	NoTagQuery          bool
}

// Defaults of a RegistryImage.
const (
	DefaultConfigPath = "/etc/docker/registry/config.yml"
	DefaultAPIPort    = 5000
	DefaultDebugPort  = 5001
)

// WithDefaults fills the optional fields with Distribution's defaults.
func (i RegistryImage) WithDefaults() RegistryImage {
	if i.ConfigPath == "" {
		i.ConfigPath = DefaultConfigPath
	}
	if len(i.Args) == 0 {
		i.Args = []string{"serve", "{{config}}"}
	}
	if i.APIPort == 0 {
		i.APIPort = DefaultAPIPort
	}
	if i.DebugPort == 0 {
		i.DebugPort = DefaultDebugPort
	}
	return i
}

// Command is Args with {{config}} replaced by ConfigPath.
func (i RegistryImage) Command() []string {
	i = i.WithDefaults()
	out := make([]string, len(i.Args))
	for k, a := range i.Args {
		out[k] = strings.ReplaceAll(a, "{{config}}", i.ConfigPath)
	}
	return out
}

// HasFaults reports whether any fault hook is set.
func (s RegistrySpec) HasFaults() bool { return s.Faults != notifications.Faults{} }

// Addrs is what a runtime fills into a RegistrySpec.ConfigTemplate:
// {{.Addr}} for http.addr, {{.DebugAddr}} for http.debug.addr and
// {{.StorageDir}} for storage.filesystem.rootdirectory.
type Addrs struct {
	Addr       string // e.g. 127.0.0.1:0 (in-process), 127.0.0.1:41234 (process), :5000 (container)
	DebugAddr  string
	StorageDir string
}

// RenderConfig executes a config template with a runtime's addresses.
func RenderConfig(tmpl string, a Addrs) ([]byte, error) {
	t, err := template.New("config.yml").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("config template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, a); err != nil {
		return nil, fmt.Errorf("config template: %w", err)
	}
	return buf.Bytes(), nil
}

// BinaryRegistry is another registry program run as a child process.
type BinaryRegistry struct {
	Path string   // executable
	Args []string // {{config}} is replaced by the rendered config's path; default: serve {{config}}
	Env  []string
	// SingleRequestUpload: the binary completes POST ?digest= with a body.
	// CNCF Distribution does not.
	SingleRequestUpload bool
	// NoTagQuery: PUT of a manifest by digest ignores ?tag= (see
	// load.Target.NoTagQuery).
	NoTagQuery bool
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
	// NoTagQuery: PUT of a manifest by digest ignores ?tag=; the load owes
	// one untagged push event instead of one per tag (declared, never
	// silent: load.Result.Declared).
	NoTagQuery bool
	// OwnRegistry: this is our registry (extensions, fault hooks).
	OwnRegistry bool
}

// LogSaver is implemented by runtimes that can save the logs of what they
// started (e.g. container logs) into dir, for a failed spec's report.
type LogSaver interface {
	SaveLogs(ctx context.Context, dir string) error
}

// LocalStorage is implemented by runtimes whose registry storage directory
// is a path on this host, so files a scenario's registry writes there (a
// dead-letter log) can be read back.
type LocalStorage interface {
	StorageDir() string
}

// EndpointSpec starts one fake receiver.
type EndpointSpec struct {
	Name    string
	Profile endpoint.Profile // the zero profile answers 200
	// Receiver, when set, is the user's own webhook receiver: the fake
	// runs in proxy mode in front of it (faults first, then forward), and
	// its ledger records the real receiver's answers. The URL must be
	// reachable from where the fake runs (a container runtime's fake dials
	// it from the scenario network).
	Receiver string
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

// ErrUnsupported is returned (wrapped) by a runtime that cannot do what it
// was asked honestly. errors.Is(err, errors.ErrUnsupported) holds too.
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
