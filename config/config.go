// Package config reads a registry configuration in CNCF Distribution's
// config.yml format (the subset this project supports), with Distribution's
// REGISTRY_* environment overrides, and is the only place where a
// configuration is validated.
//
// The types marshal with gopkg.in/yaml.v3 into a file Parse reads back
// unchanged (zero values are left out), so programs can write configs by
// building these types.
package config

import (
	"encoding/json"
	"github.com/hookbench/hookbench/internal/redact"
	"log/slog"
	"net/http"
	"time"
)

// Config is a whole registry configuration.
type Config struct {
	Version       string        `yaml:"version,omitempty"`
	Log           Log           `yaml:"log,omitempty"`
	Storage       Storage       `yaml:"storage,omitempty"`
	HTTP          HTTP          `yaml:"http,omitempty"`
	Auth          Auth          `yaml:"auth,omitempty"`
	Notifications Notifications `yaml:"notifications,omitempty"`
}

// Log configures log/slog output.
type Log struct {
	Level     string `yaml:"level,omitempty"`     // debug, info, warn, error; default info
	Formatter string `yaml:"formatter,omitempty"` // text or json; default text
}

// Storage selects and configures the storage driver.
type Storage struct {
	Filesystem  *Filesystem `yaml:"filesystem,omitempty"`
	InMemory    *struct{}   `yaml:"inmemory,omitempty"`
	S3          *S3         `yaml:"s3,omitempty"`
	Delete      Delete      `yaml:"delete,omitempty"`
	Maintenance Maintenance `yaml:"maintenance,omitempty"`
}

// Maintenance is Distribution's storage.maintenance: purging abandoned
// uploads, and read-only mode.
type Maintenance struct {
	UploadPurging UploadPurging `yaml:"uploadpurging,omitempty"`
	ReadOnly      ReadOnly      `yaml:"readonly,omitempty"`
}

// UploadPurging removes uploads older than Age every Interval (from
// start-up on). Unset fields take Distribution's defaults (see Purging).
type UploadPurging struct {
	Enabled  *bool         `yaml:"enabled,omitempty"` // default true
	Age      time.Duration `yaml:"age,omitempty"`
	Interval time.Duration `yaml:"interval,omitempty"`
	DryRun   bool          `yaml:"dryrun,omitempty"` // log what would be purged, remove nothing
}

// Purging returns the settings with defaults applied; purging is off in
// read-only mode, as in Distribution.
func (m Maintenance) Purging() (enabled bool, age, interval time.Duration, dryRun bool) {
	u := m.UploadPurging
	enabled = (u.Enabled == nil || *u.Enabled) && !m.ReadOnly.Enabled
	age, interval = u.Age, u.Interval
	if age == 0 {
		age = DefaultUploadPurgeAge
	}
	if interval == 0 {
		interval = DefaultUploadPurgeInterval
	}
	return enabled, age, interval, u.DryRun
}

// ReadOnly makes every write answer 405 UNSUPPORTED while pulls go on
// (for garbage collection beside a running registry).
type ReadOnly struct {
	Enabled bool `yaml:"enabled,omitempty"`
}

// S3 is the s3 driver's configuration: Distribution's keys, and its
// defaults (applied by Parse; sizes are bytes).
type S3 struct {
	Region                      string `yaml:"region"`
	RegionEndpoint              string `yaml:"regionendpoint"` // S3-compatible service (MinIO, ...); empty: AWS
	Bucket                      string `yaml:"bucket"`
	RootDirectory               string `yaml:"rootdirectory"`
	AccessKey                   string `yaml:"accesskey"`
	SecretKey                   Secret `yaml:"secretkey"`
	ForcePathStyle              bool   `yaml:"forcepathstyle"`
	Secure                      *bool  `yaml:"secure"` // default true
	SkipVerify                  bool   `yaml:"skipverify"`
	ChunkSize                   int    `yaml:"chunksize"`                   // default 10 MiB, at least 5 MiB
	MultipartCopyThresholdSize  int    `yaml:"multipartcopythresholdsize"`  // default 32 MiB
	MultipartCopyChunkSize      int    `yaml:"multipartcopychunksize"`      // default 32 MiB
	MultipartCopyMaxConcurrency int    `yaml:"multipartcopymaxconcurrency"` // default 100
}

// Secret is a config value never shown: printing, logging or JSON gives
// "<redact.Redacted>"; string(s) is the value.
type Secret string

func (s Secret) String() string               { return redact.Redacted }
func (s Secret) GoString() string             { return redact.Redacted }
func (s Secret) LogValue() slog.Value         { return slog.StringValue(redact.Redacted) }
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redact.Redacted) }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redact.Redacted), nil }

// Filesystem is the filesystem driver's configuration.
type Filesystem struct {
	RootDirectory string `yaml:"rootdirectory,omitempty"`
	// DirectWrites (this project's key) writes new blob bytes with
	// O_DIRECT; default true, and off by itself on network filesystems.
	DirectWrites *bool `yaml:"directwrites,omitempty"`
}

// Delete switches the DELETE API on; off by default, as in Distribution.
type Delete struct {
	Enabled bool `yaml:"enabled,omitempty"`
}

// HTTP configures the API and debug listeners.
type HTTP struct {
	Addr  string `yaml:"addr,omitempty"`
	Host  string `yaml:"host,omitempty"` // external base URL used in Location headers and event URLs, optional
	Debug Debug  `yaml:"debug,omitempty"`
	// DrainTimeout is how long a SIGTERM waits for in-flight requests
	// (and then pending notifications) before exiting; default 10s.
	DrainTimeout time.Duration `yaml:"draintimeout,omitempty"`
	// Prefix serves the API under a path ("/registry/" -> /registry/v2/).
	Prefix string `yaml:"prefix,omitempty"`
	// Headers are added to every API response (Distribution's default
	// config sets X-Content-Type-Options: [nosniff]).
	Headers http.Header `yaml:"headers,omitempty"`
	TLS     *TLS        `yaml:"tls,omitempty"` // nil: plain HTTP
	// Net is the listener's network; only tcp (the default) is served.
	Net   string `yaml:"net,omitempty"`
	HTTP2 HTTP2  `yaml:"http2,omitempty"`
}

// HTTP2 configures HTTP/2, which is served over TLS unless disabled.
type HTTP2 struct {
	Disabled bool `yaml:"disabled,omitempty"`
}

// TLS serves the API over TLS, as Distribution's http.tls.
type TLS struct {
	Certificate string   `yaml:"certificate,omitempty"` // PEM file: certificate (chain)
	Key         string   `yaml:"key,omitempty"`         // PEM file: its private key
	ClientCAs   []string `yaml:"clientcas,omitempty"`   // PEM files of CAs for client certificates (mTLS)
	// ClientAuth is require-and-verify-client-cert (default with
	// clientcas) or verify-client-cert-if-given.
	ClientAuth string `yaml:"clientauth,omitempty"`
	// MinimumTLS is tls1.0, tls1.1, tls1.2 or tls1.3; default tls1.2.
	MinimumTLS string `yaml:"minimumtls,omitempty"`
	// CipherSuites are Go's (= Distribution's) names, for TLS 1.2 and
	// below (TLS 1.3 suites are not configurable); default: Go's.
	CipherSuites []string `yaml:"ciphersuites,omitempty"`
}

// Debug configures the debug server (/debug/vars, /debug/health, /metrics).
type Debug struct {
	Addr       string     `yaml:"addr,omitempty"` // empty: no debug server
	Prometheus Prometheus `yaml:"prometheus,omitempty"`
	Auth       DebugAuth  `yaml:"auth,omitempty"` // this project's; Distribution's debug server is open
}

// DebugAuth makes the debug server ask for credentials (opt-in): basic
// auth against an htpasswd file, a bearer token, or either when both are
// set. /debug/health stays open for probes.
type DebugAuth struct {
	Htpasswd *Htpasswd `yaml:"htpasswd,omitempty"`
	Token    string    `yaml:"token,omitempty"` // Authorization: Bearer <token>
}

// Prometheus configures the /metrics endpoint on the debug server.
type Prometheus struct {
	Enabled bool   `yaml:"enabled,omitempty"`
	Path    string `yaml:"path,omitempty"` // default /metrics
}

// Auth configures access control: htpasswd or token (at most one).
type Auth struct {
	Htpasswd *Htpasswd `yaml:"htpasswd,omitempty"`
	Token    *Token    `yaml:"token,omitempty"`
}

// Token is Docker token auth: clients fetch a JWT from Realm and send it
// as a Bearer token; the registry checks its signature, issuer, audience
// (Service), times and granted scopes.
type Token struct {
	Realm          string `yaml:"realm,omitempty"`
	Service        string `yaml:"service,omitempty"`
	Issuer         string `yaml:"issuer,omitempty"`
	RootCertBundle string `yaml:"rootcertbundle,omitempty"` // PEM certificates whose keys (or chains) sign tokens
	JWKS           string `yaml:"jwks,omitempty"`           // JSON Web Key Set file of signing keys
	// AutoRedirect makes the challenge's realm https://<Host>/<AutoRedirectPath>.
	AutoRedirect     bool   `yaml:"autoredirect,omitempty"`
	AutoRedirectPath string `yaml:"autoredirectpath,omitempty"` // default /auth/token
}

// Htpasswd is basic auth against an htpasswd file of bcrypt hashes.
type Htpasswd struct {
	Realm string `yaml:"realm,omitempty"`
	Path  string `yaml:"path,omitempty"`
}

// Notifications configures webhook endpoints.
type Notifications struct {
	Events    Events     `yaml:"events,omitempty"`
	Endpoints []Endpoint `yaml:"endpoints,omitempty"`
}

// Events configures what goes into every event.
type Events struct {
	IncludeReferences bool `yaml:"includereferences,omitempty"`
}

// Endpoint is one webhook receiver. The fields up to Ignore are
// Distribution's; the rest are this project's opt-in delivery extensions
// (zero values keep Distribution's behaviour). Zero timeout, threshold and
// backoff mean Distribution's defaults, which the notifications package
// applies (1s, 10, 1s).
//
// The app package copies every field but Disabled by name into
// notifications.EndpointConfig: a new delivery key is a field here (with its
// checks in validate.go) and a field of the same name there.
type Endpoint struct {
	Name              string        `yaml:"name,omitempty"`
	Disabled          bool          `yaml:"disabled,omitempty"`
	URL               string        `yaml:"url,omitempty"`
	Headers           http.Header   `yaml:"headers,omitempty"`
	Timeout           time.Duration `yaml:"timeout,omitempty"`
	Threshold         int           `yaml:"threshold,omitempty"`
	Backoff           time.Duration `yaml:"backoff,omitempty"`
	IgnoredMediaTypes []string      `yaml:"ignoredmediatypes,omitempty"`
	Ignore            Ignore        `yaml:"ignore,omitempty"`

	// This project's opt-in delivery extensions (notifications.Delivery).
	Batch       Batch      `yaml:"batch,omitempty"`
	Concurrency int        `yaml:"concurrency,omitempty"` // POSTs in flight at once, per-repository order kept (0 or 1: one)
	Signing     Signing    `yaml:"signing,omitempty"`
	Retry       Retry      `yaml:"retry,omitempty"`
	DeadLetter  DeadLetter `yaml:"deadletter,omitempty"`
	Queue       Queue      `yaml:"queue,omitempty"`
}

// Batch puts up to MaxEvents events in one envelope, waiting at most
// MaxWait for a batch to fill (0/0: one event per POST, as Distribution).
type Batch struct {
	MaxEvents int           `yaml:"maxevents,omitempty"`
	MaxWait   time.Duration `yaml:"maxwait,omitempty"`
}

// Signing signs every POST as Standard Webhooks do, once per secret
// ("whsec_<base64 key>"; several for rotation).
type Signing struct {
	Secrets []string `yaml:"secrets,omitempty"`
}

// Retry limits retries; zero values retry forever as Distribution does.
type Retry struct {
	MaxAttempts int           `yaml:"maxattempts,omitempty"`
	MaxAge      time.Duration `yaml:"maxage,omitempty"`
	Backoff     time.Duration `yaml:"backoff,omitempty"`    // exponential with jitter from this, instead of threshold/backoff
	MaxBackoff  time.Duration `yaml:"maxbackoff,omitempty"` // cap of the exponential backoff
}

// DeadLetter says where given-up events go (JSON lines at Path) and
// whether a 4xx answer gives up at once.
type DeadLetter struct {
	Path  string `yaml:"path,omitempty"`
	On4xx bool   `yaml:"on4xx,omitempty"`
}

// Queue selects where accepted events wait: memory (default), disk (a
// file at Path that survives restarts) or nats (a JetStream stream shared
// by every replica, see NATSQueue).
type Queue struct {
	Kind string     `yaml:"kind,omitempty"`
	Path string     `yaml:"path,omitempty"`
	NATS *NATSQueue `yaml:"nats,omitempty"` // a pointer: Queue stays comparable
}

// Ignore drops events before they are queued.
type Ignore struct {
	MediaTypes []string `yaml:"mediatypes,omitempty"`
	Actions    []string `yaml:"actions,omitempty"`
}

// Defaults as in Distribution.
const (
	DefaultAddr           = ":5000"
	DefaultPrometheusPath = "/metrics"
	DefaultLogLevel       = "info"
	DefaultLogFormatter   = "text"
	DefaultRealm          = "Registry Realm"
	DefaultDrainTimeout   = 10 * time.Second
	DefaultMinimumTLS     = "tls1.2"
	DefaultAutoRedirect   = "/auth/token"
	DefaultDebugRealm     = "Registry Debug"

	// MinDebugTokenLen is the shortest http.debug.auth.token accepted: a
	// guessable token would protect nothing.
	MinDebugTokenLen = 16

	DefaultS3ChunkSize                   = 10 << 20
	DefaultS3MultipartCopyThresholdSize  = 32 << 20
	DefaultS3MultipartCopyChunkSize      = 32 << 20
	DefaultS3MultipartCopyMaxConcurrency = 100

	DefaultUploadPurgeAge      = 168 * time.Hour
	DefaultUploadPurgeInterval = 24 * time.Hour
)
