// Package config reads a registry configuration in CNCF Distribution's
// config.yml format (the subset this project supports), with Distribution's
// REGISTRY_* environment overrides.
package config

import (
	"net/http"
	"time"
)

// Config is a whole registry configuration.
type Config struct {
	Version       string        `yaml:"version"`
	Log           Log           `yaml:"log"`
	Storage       Storage       `yaml:"storage"`
	HTTP          HTTP          `yaml:"http"`
	Auth          Auth          `yaml:"auth"`
	Notifications Notifications `yaml:"notifications"`
}

// Log configures log/slog output.
type Log struct {
	Level     string `yaml:"level"`     // debug, info, warn, error; default info
	Formatter string `yaml:"formatter"` // text or json; default text
}

// Storage selects and configures the storage driver.
type Storage struct {
	Filesystem  *Filesystem `yaml:"filesystem"`
	InMemory    *struct{}   `yaml:"inmemory"`
	Delete      Delete      `yaml:"delete"`
	Maintenance Maintenance `yaml:"maintenance"`
}

// Maintenance is Distribution's storage.maintenance: purging abandoned
// uploads, and read-only mode.
type Maintenance struct {
	UploadPurging UploadPurging `yaml:"uploadpurging"`
	ReadOnly      ReadOnly      `yaml:"readonly"`
}

// UploadPurging removes uploads older than Age every Interval (from
// start-up on). Unset fields take Distribution's defaults (see Purging).
type UploadPurging struct {
	Enabled  *bool         `yaml:"enabled"` // default true
	Age      time.Duration `yaml:"age"`
	Interval time.Duration `yaml:"interval"`
	DryRun   bool          `yaml:"dryrun"` // log what would be purged, remove nothing
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
	Enabled bool `yaml:"enabled"`
}

// Filesystem is the filesystem driver's configuration.
type Filesystem struct {
	RootDirectory string `yaml:"rootdirectory"`
}

// Delete switches the DELETE API on; off by default, as in Distribution.
type Delete struct {
	Enabled bool `yaml:"enabled"`
}

// HTTP configures the API and debug listeners.
type HTTP struct {
	Addr  string `yaml:"addr"`
	Host  string `yaml:"host"` // external base URL used in Location headers and event URLs, optional
	Debug Debug  `yaml:"debug"`
	// DrainTimeout is how long a SIGTERM waits for in-flight requests
	// (and then pending notifications) before exiting; default 10s.
	DrainTimeout time.Duration `yaml:"draintimeout"`
}

// Debug configures the debug server (/debug/vars, /debug/health, /metrics).
type Debug struct {
	Addr       string     `yaml:"addr"` // empty: no debug server
	Prometheus Prometheus `yaml:"prometheus"`
}

// Prometheus configures the /metrics endpoint on the debug server.
type Prometheus struct {
	Enabled bool   `yaml:"enabled"`
	Path    string `yaml:"path"` // default /metrics
}

// Auth configures access control; only htpasswd is supported.
type Auth struct {
	Htpasswd *Htpasswd `yaml:"htpasswd"`
}

// Htpasswd is basic auth against an htpasswd file of bcrypt hashes.
type Htpasswd struct {
	Realm string `yaml:"realm"`
	Path  string `yaml:"path"`
}

// Notifications configures webhook endpoints.
type Notifications struct {
	Events    Events     `yaml:"events"`
	Endpoints []Endpoint `yaml:"endpoints"`
}

// Events configures what goes into every event.
type Events struct {
	IncludeReferences bool `yaml:"includereferences"`
}

// Endpoint is one webhook receiver. The fields up to Ignore are
// Distribution's; the rest are this project's opt-in extensions (zero values
// keep Distribution's behaviour).
type Endpoint struct {
	Name              string        `yaml:"name"`
	Disabled          bool          `yaml:"disabled"`
	URL               string        `yaml:"url"`
	Headers           http.Header   `yaml:"headers"`
	Timeout           time.Duration `yaml:"timeout"`   // default 1s
	Threshold         int           `yaml:"threshold"` // default 10
	Backoff           time.Duration `yaml:"backoff"`   // default 1s
	IgnoredMediaTypes []string      `yaml:"ignoredmediatypes"`
	Ignore            Ignore        `yaml:"ignore"`

	// This project's opt-in delivery extensions (see notifications.Delivery).
	Batch       Batch      `yaml:"batch"`
	Concurrency int        `yaml:"concurrency"` // POSTs in flight at once, per-repository order kept (0 or 1: one)
	Signing     Signing    `yaml:"signing"`
	Retry       Retry      `yaml:"retry"`
	DeadLetter  DeadLetter `yaml:"deadletter"`
	Queue       Queue      `yaml:"queue"`
}

// Batch puts up to MaxEvents events in one envelope, waiting at most
// MaxWait for a batch to fill (0/0: one event per POST, as Distribution).
type Batch struct {
	MaxEvents int           `yaml:"maxevents"`
	MaxWait   time.Duration `yaml:"maxwait"`
}

// Signing signs every POST as Standard Webhooks do, once per secret
// ("whsec_<base64 key>"; several for rotation).
type Signing struct {
	Secrets []string `yaml:"secrets"`
}

// Retry limits retries; zero values retry forever as Distribution does.
type Retry struct {
	MaxAttempts int           `yaml:"maxattempts"`
	MaxAge      time.Duration `yaml:"maxage"`
	Backoff     time.Duration `yaml:"backoff"`    // exponential with jitter from this, instead of threshold/backoff
	MaxBackoff  time.Duration `yaml:"maxbackoff"` // cap of the exponential backoff
}

// DeadLetter says where given-up events go (JSON lines at Path) and
// whether a 4xx answer gives up at once.
type DeadLetter struct {
	Path  string `yaml:"path"`
	On4xx bool   `yaml:"on4xx"`
}

// Queue selects where accepted events wait: memory (default) or disk (a
// file at Path that survives restarts).
type Queue struct {
	Kind string `yaml:"kind"`
	Path string `yaml:"path"`
}

// Ignore drops events before they are queued.
type Ignore struct {
	MediaTypes []string `yaml:"mediatypes"`
	Actions    []string `yaml:"actions"`
}

// Defaults as in Distribution.
const (
	DefaultTimeout   = time.Second
	DefaultThreshold = 10
	DefaultBackoff   = time.Second

	DefaultAddr           = ":5000"
	DefaultPrometheusPath = "/metrics"
	DefaultLogLevel       = "info"
	DefaultLogFormatter   = "text"
	DefaultRealm          = "Registry Realm"
	DefaultDrainTimeout   = 10 * time.Second

	DefaultUploadPurgeAge      = 168 * time.Hour
	DefaultUploadPurgeInterval = 24 * time.Hour
)
