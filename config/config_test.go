package config

import (
	"fmt"
	"github.com/hookbench/hookbench/internal/redact"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const minimal = "version: 0.1\nstorage:\n  inmemory:\n"

func TestLoadDistributionSample(t *testing.T) {
	cfg, warnings, err := Load(filepath.Join("testdata", "config-with-notifications.yml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Version: "0.1",
		Log:     Log{Level: "info", Formatter: "text"},
		Storage: Storage{Filesystem: &Filesystem{RootDirectory: "/var/lib/registry"}, Delete: Delete{Enabled: true}},
		HTTP: HTTP{Addr: "127.0.0.1:5000", DrainTimeout: DefaultDrainTimeout, Debug: Debug{
			Addr: "127.0.0.1:5001", Prometheus: Prometheus{Enabled: true, Path: "/metrics"}}},
		Notifications: Notifications{
			Events: Events{IncludeReferences: true},
			Endpoints: []Endpoint{{
				Name: "local-5003", URL: "http://127.0.0.1:5003/callback",
				Headers: http.Header{"Authorization": {"Bearer secret-token-xyz"}},
				Timeout: time.Second, Threshold: 5, Backoff: time.Second,
			}},
		},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "storage.cache: ignored") {
		t.Errorf("warnings = %q, want one for storage.cache", warnings)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, _, err := Load(filepath.Join(t.TempDir(), "nope.yml"), nil)
	if err == nil || !strings.Contains(err.Error(), "nope.yml") {
		t.Fatalf("err = %v, want one naming the file", err)
	}
}

func TestDefaults(t *testing.T) {
	cfg, warnings, err := Parse([]byte(minimal+"notifications:\n  endpoints:\n    - name: a\n      url: http://127.0.0.1:1/\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %q", warnings)
	}
	// Zero means Distribution's default, applied by the notifications package.
	if ep := cfg.Notifications.Endpoints[0]; ep.Timeout != 0 || ep.Threshold != 0 || ep.Backoff != 0 {
		t.Errorf("endpoint timeout, threshold, backoff = %v %v %v, want zero", ep.Timeout, ep.Threshold, ep.Backoff)
	}
	if cfg.HTTP.Addr != ":5000" || cfg.HTTP.Debug.Prometheus.Path != "/metrics" || cfg.Log.Level != "info" ||
		cfg.Log.Formatter != "text" || cfg.HTTP.DrainTimeout != 10*time.Second || cfg.Storage.InMemory == nil {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestValues(t *testing.T) {
	cases := []struct {
		name  string
		yaml  string
		env   []string
		check func(*Config) bool
	}{
		{"integer duration is nanoseconds", minimal + "http:\n  draintimeout: 2000000000\n", nil,
			func(c *Config) bool { return c.HTTP.DrainTimeout == 2*time.Second }},
		{"yes is true", minimal + "  delete:\n    enabled: yes\n", nil,
			func(c *Config) bool { return c.Storage.Delete.Enabled }},
		{"header value as a scalar", minimal + "notifications:\n  endpoints:\n    - name: a\n      url: http://h/\n      headers:\n        x-token: abc\n", nil,
			func(c *Config) bool { return c.Notifications.Endpoints[0].Headers.Get("X-Token") == "abc" }},
		{"anchors and aliases", "version: 0.1\nstorage:\n  inmemory:\nnotifications:\n  endpoints:\n    - &e {name: a, url: 'http://h/', timeout: 3s}\n    - {name: b, url: 'http://h/'}\n", nil,
			func(c *Config) bool { return c.Notifications.Endpoints[0].Timeout == 3*time.Second }},
		{"logstash formatter is json", minimal + "log:\n  formatter: logstash\n  level: WARNING\n", nil,
			func(c *Config) bool { return c.Log.Formatter == "json" && c.Log.Level == "warn" }},
		{"htpasswd realm default", minimal + "auth:\n  htpasswd:\n    path: /etc/htpasswd\n", nil,
			func(c *Config) bool { return c.Auth.Htpasswd.Realm == DefaultRealm }},
		{"empty document with env only", "", []string{"REGISTRY_VERSION=0.1", "REGISTRY_STORAGE_INMEMORY="},
			func(c *Config) bool { return c.Storage.InMemory != nil }},

		// Environment overrides.
		{"env http addr", minimal + "http:\n  addr: :5000\n", []string{"REGISTRY_HTTP_ADDR=127.0.0.1:7000"},
			func(c *Config) bool { return c.HTTP.Addr == "127.0.0.1:7000" }},
		{"env creates sections", minimal, []string{"REGISTRY_HTTP_DEBUG_ADDR=:5001", "REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED=true"},
			func(c *Config) bool { return c.HTTP.Debug.Addr == ":5001" && c.HTTP.Debug.Prometheus.Enabled }},
		{"env delete enabled", minimal, []string{"REGISTRY_STORAGE_DELETE_ENABLED=true"},
			func(c *Config) bool { return c.Storage.Delete.Enabled }},
		{"env filesystem root", "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /a\n", []string{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/b"},
			func(c *Config) bool { return c.Storage.Filesystem.RootDirectory == "/b" }},
		{"filesystem direct writes default and off", "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /a\n", []string{"REGISTRY_STORAGE_FILESYSTEM_DIRECTWRITES=false"},
			func(c *Config) bool { dw := c.Storage.Filesystem.DirectWrites; return dw != nil && !*dw }},
		{"env whole endpoints list as YAML", minimal, []string{"REGISTRY_NOTIFICATIONS_ENDPOINTS=[{name: x, url: 'http://h:1/', threshold: 3}]"},
			func(c *Config) bool {
				e := c.Notifications.Endpoints
				return len(e) == 1 && e[0].Name == "x" && e[0].Threshold == 3
			}},
		{"env one endpoint field", minimal + "notifications:\n  endpoints:\n    - name: a\n      url: http://h/\n",
			[]string{"REGISTRY_NOTIFICATIONS_ENDPOINTS_0_TIMEOUT=250ms", "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_IGNORE_ACTIONS=pull"},
			func(c *Config) bool {
				e := c.Notifications.Endpoints[0]
				return e.Timeout == 250*time.Millisecond && reflect.DeepEqual(e.Ignore.Actions, []string{"pull"})
			}},
		{"env appends an endpoint", minimal,
			[]string{"REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME=n", "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL=http://h/"},
			func(c *Config) bool {
				return len(c.Notifications.Endpoints) == 1 && c.Notifications.Endpoints[0].URL == "http://h/"
			}},
		{"env header", minimal + "notifications:\n  endpoints:\n    - name: a\n      url: http://h/\n",
			[]string{"REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS_X_TOKEN=s"},
			func(c *Config) bool { return c.Notifications.Endpoints[0].Headers.Get("X-Token") == "s" }},
		{"delivery extensions", minimal + `notifications:
  endpoints:
    - name: a
      url: http://h/
      batch: {maxevents: 50, maxwait: 20ms}
      concurrency: 4
      signing: {secrets: [whsec_a2V5]}
      retry: {maxattempts: 5, maxage: 1m, backoff: 10ms, maxbackoff: 1s}
      deadletter: {path: /tmp/dl.jsonl, on4xx: true}
      queue: {kind: disk, path: /tmp/q.db}
`, nil, func(c *Config) bool {
			e := c.Notifications.Endpoints[0]
			return e.Batch == Batch{MaxEvents: 50, MaxWait: 20 * time.Millisecond} && e.Concurrency == 4 &&
				reflect.DeepEqual(e.Signing.Secrets, []string{"whsec_a2V5"}) &&
				e.Retry == Retry{MaxAttempts: 5, MaxAge: time.Minute, Backoff: 10 * time.Millisecond, MaxBackoff: time.Second} &&
				e.DeadLetter == DeadLetter{Path: "/tmp/dl.jsonl", On4xx: true} && e.Queue == Queue{Kind: "disk", Path: "/tmp/q.db"}
		}},
		{"env delivery extension", minimal + "notifications:\n  endpoints:\n    - name: a\n      url: http://h/\n",
			[]string{"REGISTRY_NOTIFICATIONS_ENDPOINTS_0_RETRY_MAXATTEMPTS=3", "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_QUEUE_KIND=memory"},
			func(c *Config) bool { return c.Notifications.Endpoints[0].Retry.MaxAttempts == 3 }},
		{"env includereferences", minimal, []string{"REGISTRY_NOTIFICATIONS_EVENTS_INCLUDEREFERENCES=true"},
			func(c *Config) bool { return c.Notifications.Events.IncludeReferences }},
		{"env version string stays a string", "storage:\n  inmemory:\n", []string{"REGISTRY_VERSION=0.1"},
			func(c *Config) bool { return c.Version == "0.1" }},
		{"unrelated env ignored", minimal, []string{"HOME=/root", "REGISTRY=x", "PATH=/bin"},
			func(c *Config) bool { return true }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := Parse([]byte(tc.yaml), tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(cfg) {
				t.Errorf("unexpected config %+v", cfg)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	ep := func(fields string) string {
		return minimal + "notifications:\n  endpoints:\n    - name: a\n      url: http://h/\n" + fields
	}
	cases := []struct {
		name string
		yaml string
		env  []string
		want string // substring of the error
	}{
		{"not yaml", "version: [", nil, "not valid YAML"},
		{"two documents", minimal + "---\nversion: 0.1\n", nil, "more than one document"},
		{"top level not a mapping", "- a\n", nil, "(top level): want a mapping"},
		{"top level not a mapping, with env", "- a\n", []string{"REGISTRY_VERSION=0.1"}, "(top level): want a mapping"},
		{"missing version", "storage:\n  inmemory:\n", nil, "version: missing"},
		{"wrong version", "version: 0.2\nstorage:\n  inmemory:\n", nil, `version: unsupported version "0.2"`},
		{"unknown top-level key", minimal + "colour: blue\n", nil, "colour: unknown key"},
		{"unknown nested key", minimal + "http:\n  adr: :5000\n", nil, "http.adr: unknown key"},
		{"unknown endpoint key", ep("      retries: 3\n"), nil, "notifications.endpoints[0].retries: unknown key"},
		{"duplicate key", minimal + "http:\n  addr: :1\n  addr: :2\n", nil, "http.addr: key given twice"},
		{"no storage driver", "version: 0.1\nstorage:\n  delete:\n    enabled: true\n", nil, "storage: no storage driver"},
		{"two storage drivers", minimal + "  filesystem:\n    rootdirectory: /x\n", nil, "storage: more than one storage driver"},
		{"missing rootdirectory", "version: 0.1\nstorage:\n  filesystem:\n", nil, "storage.filesystem.rootdirectory: missing"},
		{"unsupported driver", "version: 0.1\nstorage:\n  azure:\n    container: c\n", nil, "storage.azure: storage driver azure is not supported"},
		{"htpasswd without path", minimal + "auth:\n  htpasswd:\n    realm: r\n", nil, "auth.htpasswd.path: missing"},
		{"bad addr", minimal + "http:\n  addr: localhost\n", nil, "http.addr: \"localhost\" is not host:port"},
		{"bad port", minimal + "http:\n  addr: :http\n", nil, "http.addr: \":http\": port must be a number"},
		{"bad debug addr", minimal + "http:\n  debug:\n    addr: 5001\n", nil, "http.debug.addr:"},
		{"bad host", minimal + "http:\n  host: registry.example\n", nil, "http.host:"},
		{"bad draintimeout", minimal + "http:\n  draintimeout: soon\n", nil, `http.draintimeout: want a duration such as 1s or 500ms, got "soon"`},
		{"negative draintimeout", minimal + "http:\n  draintimeout: -1s\n", nil, "http.draintimeout: must not be negative"},
		{"prometheus path without slash", minimal + "http:\n  debug:\n    prometheus:\n      path: metrics\n", nil, "http.debug.prometheus.path: \"metrics\" must start with /"},
		{"prometheus path collides", minimal + "http:\n  debug:\n    prometheus:\n      path: /debug/vars\n", nil, "http.debug.prometheus.path:"},
		{"bad log level", minimal + "log:\n  level: loud\n", nil, `log.level: unknown level "loud"`},
		{"bad log formatter", minimal + "log:\n  formatter: xml\n", nil, `log.formatter: unknown formatter "xml"`},
		{"bool not bool", minimal + "  delete:\n    enabled: maybe\n", nil, `storage.delete.enabled: want true or false, got "maybe"`},
		{"string given a mapping", minimal + "http:\n  addr:\n    a: b\n", nil, "http.addr: want a string, got a mapping"},
		{"section given a scalar", minimal + "http: yes\n", nil, "http: want a mapping"},
		{"endpoints not a list", minimal + "notifications:\n  endpoints: {name: a}\n", nil, "notifications.endpoints: want a list"},
		{"bad timeout", ep("      timeout: fast\n"), nil, `notifications.endpoints[0].timeout: want a duration such as 1s or 500ms, got "fast"`},
		{"negative timeout", ep("      timeout: -1s\n"), nil, "notifications.endpoints[0].timeout: must not be negative"},
		{"bad backoff", ep("      backoff: []\n"), nil, "notifications.endpoints[0].backoff: want a duration"},
		{"negative backoff", ep("      backoff: -5ms\n"), nil, "notifications.endpoints[0].backoff: must not be negative"},
		{"bad threshold", ep("      threshold: ten\n"), nil, `notifications.endpoints[0].threshold: want an integer, got "ten"`},
		{"negative threshold", ep("      threshold: -1\n"), nil, "notifications.endpoints[0].threshold: must not be negative"},
		{"bad endpoint url", ep("")[:len(ep(""))-len("      url: http://h/\n")] + "      url: ftp://h/\n", nil, "notifications.endpoints[0].url: \"ftp://h/\": scheme must be http or https"},
		{"endpoint url without host", minimal + "notifications:\n  endpoints:\n    - name: a\n      url: http:///x\n", nil, "notifications.endpoints[0].url:"},
		{"endpoint missing url", minimal + "notifications:\n  endpoints:\n    - name: a\n", nil, "notifications.endpoints[0].url: missing"},
		{"endpoint missing name", minimal + "notifications:\n  endpoints:\n    - url: http://h/\n", nil, "notifications.endpoints[0].name: missing"},
		{"duplicate endpoint name", ep("    - name: a\n      url: http://h/\n"), nil, `notifications.endpoints[1].name: "a" is already the name of notifications.endpoints[0]`},
		{"bad ignore action", ep("      ignore:\n        actions: [pull, fetch]\n"), nil, `notifications.endpoints[0].ignore.actions[1]: unknown action "fetch"`},
		{"negative maxevents", ep("      batch: {maxevents: -1}\n"), nil, "notifications.endpoints[0].batch.maxevents: must not be negative"},
		{"bad maxwait", ep("      batch: {maxwait: soon}\n"), nil, "notifications.endpoints[0].batch.maxwait: want a duration"},
		{"negative concurrency", ep("      concurrency: -2\n"), nil, "notifications.endpoints[0].concurrency: must not be negative"},
		{"negative maxattempts", ep("      retry: {maxattempts: -1}\n"), nil, "notifications.endpoints[0].retry.maxattempts: must not be negative"},
		{"negative maxage", ep("      retry: {maxage: -1m}\n"), nil, "notifications.endpoints[0].retry.maxage: must not be negative"},
		{"unknown retry key", ep("      retry: {forever: true}\n"), nil, "notifications.endpoints[0].retry.forever: unknown key"},
		{"unknown queue", ep("      queue: {kind: redis}\n"), nil, `notifications.endpoints[0].queue.kind: unknown queue "redis"`},
		{"disk queue without path", ep("      queue: {kind: disk}\n"), nil, "notifications.endpoints[0].queue.path: required for queue.kind disk"},
		{"memory queue with path", ep("      queue: {path: /x}\n"), nil, "notifications.endpoints[0].queue.path: only for queue.kind disk"},
		{"negative maxbackoff", ep("      retry: {maxbackoff: -1s}\n"), nil, "notifications.endpoints[0].retry.maxbackoff: must not be negative"},
		{"negative retry backoff", ep("      retry: {backoff: -1s}\n"), nil, "notifications.endpoints[0].retry.backoff: must not be negative"},
		{"negative maxwait", ep("      batch: {maxwait: -1s}\n"), nil, "notifications.endpoints[0].batch.maxwait: must not be negative"},
		{"dead letters never given up", ep("      deadletter: {path: /tmp/dl}\n"), nil, "notifications.endpoints[0].deadletter.path: set, but nothing is ever given up"},
		{"secret not base64", ep("      signing: {secrets: [whsec_a2V5, 'whsec_!!']}\n"), nil, "notifications.endpoints[0].signing.secrets[1]: not a whsec_ base64 secret"},
		{"empty secret", ep("      signing: {secrets: [whsec_]}\n"), nil, "notifications.endpoints[0].signing.secrets[0]: empty secret"},
		{"disabled endpoint still checked", ep("      disabled: true\n      concurrency: -1\n"), nil, "notifications.endpoints[0].concurrency: must not be negative"},
		{"header value with a line break", ep("      headers:\n        X-A: [\"a\\r\\nb\"]\n"), nil, "notifications.endpoints[0].headers.X-A: value must not contain a line break"},
		{"unparsable endpoint url", minimal + "notifications:\n  endpoints:\n    - name: a\n      url: 'http://%zz'\n", nil, "notifications.endpoints[0].url: not a URL"},
		{"headers not a mapping", ep("      headers: [a]\n"), nil, "notifications.endpoints[0].headers: want a mapping"},
		{"header name with space", ep("      headers:\n        \"X Y\": [v]\n"), nil, "notifications.endpoints[0].headers: invalid header name"},

		// Environment overrides are validated like the file.
		{"env bad addr", minimal, []string{"REGISTRY_HTTP_ADDR=nowhere"}, "http.addr: \"nowhere\" is not host:port"},
		{"env bad bool", minimal, []string{"REGISTRY_STORAGE_DELETE_ENABLED=perhaps"}, "storage.delete.enabled: want true or false"},
		{"directwrites not a bool", "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /a\n    directwrites: sometimes\n", nil, "storage.filesystem.directwrites: want true or false"},
		{"env bad duration", ep(""), []string{"REGISTRY_NOTIFICATIONS_ENDPOINTS_0_TIMEOUT=1 second"}, "notifications.endpoints[0].timeout: want a duration"},
		{"env index not a number", ep(""), []string{"REGISTRY_NOTIFICATIONS_ENDPOINTS_X_URL=http://h/"}, `notifications.endpoints (environment REGISTRY_NOTIFICATIONS_ENDPOINTS_X_URL): "X" is not a list index`},
		{"env index past end", ep(""), []string{"REGISTRY_NOTIFICATIONS_ENDPOINTS_5_URL=http://h/"}, "index 5 is past the end of the list (length 1)"},
		{"env bad list yaml", minimal, []string{"REGISTRY_NOTIFICATIONS_ENDPOINTS=[{"}, "value is not valid YAML"},
		{"env sub-key of a scalar", minimal, []string{"REGISTRY_HTTP_ADDR_PORT=1"}, "http.addr (environment REGISTRY_HTTP_ADDR_PORT): http.addr has no sub-keys"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := Parse([]byte(tc.yaml), tc.env)
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("config returned with an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tc.want)
			}
		})
	}
}

// TestDeadLetterGivesUp: a dead-letter path is accepted with any way of
// giving up.
func TestDeadLetterGivesUp(t *testing.T) {
	for _, giveUp := range []string{"retry: {maxattempts: 3}", "retry: {maxage: 1m}", "deadletter: {on4xx: true, path: /tmp/dl}"} {
		doc := minimal + "notifications:\n  endpoints:\n    - name: a\n      url: http://h/\n      deadletter: {path: /tmp/dl}\n      " + giveUp + "\n"
		if strings.HasPrefix(giveUp, "deadletter") {
			doc = minimal + "notifications:\n  endpoints:\n    - name: a\n      url: http://h/\n      " + giveUp + "\n"
		}
		if _, _, err := Parse([]byte(doc), nil); err != nil {
			t.Errorf("%s: %v", giveUp, err)
		}
	}
}

// TestValidateBuiltInCode: a config built as Go values gets the same
// checks as a file, every problem at once.
func TestValidateBuiltInCode(t *testing.T) {
	c := &Config{Version: "0.1", Storage: Storage{InMemory: &struct{}{}}, Notifications: Notifications{Endpoints: []Endpoint{
		{Name: "a", URL: "http://h/", Retry: Retry{MaxAge: -time.Second}},
		{Name: "b", URL: "http://h/", Queue: Queue{Kind: "disk"}},
	}}}
	err := c.Validate()
	for _, want := range []string{"notifications.endpoints[0].retry.maxage: must not be negative", "notifications.endpoints[1].queue.path: required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
	c.Notifications.Endpoints = c.Notifications.Endpoints[:0]
	if err := c.Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

// TestMarshalParsesBack: a config written with yaml.v3 from the types is
// read back as the same config, every key set included, and a config
// with only some sections set writes only those.
func TestMarshalParsesBack(t *testing.T) {
	full := &Config{
		Version: "0.1",
		Log:     Log{Level: "debug", Formatter: "json"},
		Storage: Storage{Filesystem: &Filesystem{RootDirectory: "/data", DirectWrites: new(true)}, Delete: Delete{Enabled: true},
			Maintenance: Maintenance{UploadPurging: UploadPurging{Enabled: new(true), Age: time.Hour, Interval: time.Minute, DryRun: true}, ReadOnly: ReadOnly{Enabled: true}},
			S3: &S3{Region: "us-east-1", RegionEndpoint: "http://127.0.0.1:9000", Bucket: "bkt", RootDirectory: "/r", AccessKey: "ak",
				SecretKey: "sk", ForcePathStyle: true, Secure: new(true), SkipVerify: true, ChunkSize: 6 << 20,
				MultipartCopyThresholdSize: 1 << 20, MultipartCopyChunkSize: 8 << 20, MultipartCopyMaxConcurrency: 4}},
		HTTP: HTTP{Addr: "127.0.0.1:5000", Host: "https://r.example", DrainTimeout: 3 * time.Second,
			Debug: Debug{Addr: ":5001", Prometheus: Prometheus{Enabled: true, Path: "/m"},
				Auth: DebugAuth{Htpasswd: &Htpasswd{Realm: "d", Path: "/etc/debug.htpasswd"}, Token: "0123456789abcdef"}},
			Prefix: "/r/", Headers: http.Header{"X-Content-Type-Options": {"nosniff"}}, Net: "tcp", HTTP2: HTTP2{Disabled: true},
			TLS: &TLS{Certificate: "/c.pem", Key: "/k.pem", ClientCAs: []string{"/ca.pem"}, ClientAuth: "verify-client-cert-if-given",
				MinimumTLS: "tls1.3", CipherSuites: []string{"TLS_AES_128_GCM_SHA256"}}},
		Auth: Auth{Htpasswd: &Htpasswd{Realm: "r", Path: "/etc/htpasswd"},
			Token: &Token{Realm: "https://a/t", Service: "s", Issuer: "i", RootCertBundle: "/b.pem", JWKS: "/j.json", AutoRedirect: true, AutoRedirectPath: "/x"}},
		Notifications: Notifications{Events: Events{IncludeReferences: true}, Endpoints: []Endpoint{{
			Name: "a", Disabled: true, URL: "http://h/", Headers: http.Header{"Authorization": {"Bearer x"}},
			Timeout: 250 * time.Millisecond, Threshold: 3, Backoff: 2 * time.Second,
			IgnoredMediaTypes: []string{"application/octet-stream"},
			Ignore:            Ignore{MediaTypes: []string{"x/y"}, Actions: []string{"pull"}},
			Batch:             Batch{MaxEvents: 50, MaxWait: 20 * time.Millisecond}, Concurrency: 4,
			Signing:    Signing{Secrets: []string{"whsec_a2V5"}},
			Retry:      Retry{MaxAttempts: 5, MaxAge: time.Minute, Backoff: 10 * time.Millisecond, MaxBackoff: time.Second},
			DeadLetter: DeadLetter{Path: "/tmp/dl.jsonl", On4xx: true},
			Queue: Queue{Kind: "disk", Path: "/tmp/q.db", NATS: &NATSQueue{URLs: []string{"nats://n1:4222"}, Stream: "S", SubjectPrefix: "p.q",
				Replicas: 1, AckWait: 5 * time.Second, Username: "u", Password: "pw", Token: "tk", CredentialsFile: "/c.creds"}},
		}}},
	}
	if zero := unsetFields(reflect.ValueOf(*full), ""); len(zero) > 0 {
		t.Fatalf("the test config leaves fields unset, so their round trip is not checked: %v", zero)
	}
	// The auth schemes exclude each other: each goes round on its own.
	// So do the storage drivers; a written S3 secret key is <redacted>
	// (give the real one by REGISTRY_STORAGE_S3_SECRETKEY).
	withHtpasswd, withToken, withS3 := *full, *full, *full
	withHtpasswd.Auth.Token, withToken.Auth.Htpasswd = nil, nil
	withS3.Auth.Token, withS3.Storage.Filesystem = nil, nil
	withS3.Storage.S3.SecretKey = redact.Redacted
	withHtpasswd.Storage.S3, withToken.Storage.S3 = nil, nil
	for _, c := range []*Config{&withHtpasswd, &withToken, &withS3} {
		c.Notifications.Endpoints = slices.Clone(full.Notifications.Endpoints)
		c.Notifications.Endpoints[0].Queue.NATS = nil
	}
	// A queue is a disk queue or a NATS one, with one kind of credentials.
	var withNATS []*Config
	for _, creds := range []func(*NATSQueue){
		func(q *NATSQueue) { q.Token, q.CredentialsFile = "", "" },
		func(q *NATSQueue) { q.Username, q.Password, q.CredentialsFile = "", "", "" },
		func(q *NATSQueue) { q.Username, q.Password, q.Token = "", "", "" },
	} {
		c := withHtpasswd
		c.Notifications.Endpoints = slices.Clone(full.Notifications.Endpoints)
		q := *full.Notifications.Endpoints[0].Queue.NATS
		creds(&q)
		c.Notifications.Endpoints[0].Queue = Queue{Kind: "nats", NATS: &q}
		withNATS = append(withNATS, &c)
	}
	for _, c := range append([]*Config{&withHtpasswd, &withToken, &withS3}, withNATS...) {
		data, err := yaml.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, warnings, err := Parse(data, nil)
		if err != nil || len(warnings) > 0 {
			t.Fatalf("parsing\n%s: %v %q", data, err, warnings)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("parsed back\n%+v\nwant\n%+v\nfrom\n%s", got, c, data)
		}
	}

	small, err := yaml.Marshal(&Config{Version: "0.1", Storage: Storage{InMemory: &struct{}{}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "version: \"0.1\"\nstorage:\n    inmemory: {}\n"; string(small) != want {
		t.Errorf("minimal config written as\n%s\nwant\n%s", small, want)
	}
}

// unsetFields lists the zero leaves of v by Go field path.
func unsetFields(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if t := v.Type().Elem(); t.Kind() == reflect.Struct && t.NumField() == 0 {
			return nil // a switch such as storage.inmemory: the small config below writes it
		}
		if v.IsNil() {
			return []string{path}
		}
		return unsetFields(v.Elem(), path)
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			out = append(out, unsetFields(v.Field(i), path+"."+v.Type().Field(i).Name)...)
		}
		return out
	case reflect.Slice:
		var out []string
		for i := range v.Len() {
			out = append(out, unsetFields(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		if v.Len() == 0 {
			out = append(out, path)
		}
		return out
	}
	if v.IsZero() {
		return []string{path}
	}
	return nil
}

func TestAllErrorsReported(t *testing.T) {
	_, _, err := Parse([]byte("version: 0.1\nstorage:\n  inmemory:\nhttp:\n  addr: x\nlog:\n  level: loud\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "http.addr") || !strings.Contains(err.Error(), "log.level") {
		t.Fatalf("err = %v, want both http.addr and log.level", err)
	}
}

func TestWarnings(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		env  []string
		want string
	}{
		{"http secret", minimal + "http:\n  secret: s3cr3t\n", nil, "http.secret: ignored"},
		{"redis", minimal + "redis:\n  addr: localhost:6379\n", nil, "redis: ignored"},
		{"health", minimal + "health:\n  storagedriver:\n    enabled: true\n", nil, "health: ignored"},
		{"log fields", minimal + "log:\n  fields:\n    service: registry\n", nil, "log.fields: ignored"},
		{"unknown env key", minimal, []string{"REGISTRY_HTTP_NOPE=1"}, "environment REGISTRY_HTTP_NOPE: no config key http.nope here; ignored"},
		{"prometheus without debug server", minimal + "http:\n  debug:\n    prometheus:\n      enabled: true\n", nil, "http.debug.prometheus.enabled: no effect without http.debug.addr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, warnings, err := Parse([]byte(tc.yaml), tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != 1 || !strings.HasPrefix(warnings[0], tc.want) {
				t.Errorf("warnings = %q, want one starting %q", warnings, tc.want)
			}
		})
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(minimal + "notifications:\n  endpoints:\n    - &a0 {name: a, url: 'http://h/', ignoredmediatypes: [x, x, x, x, x, x, x, x, x, x]}\n")
	b.WriteString("x0: &l0 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("x" + string(rune('0'+i)) + ": &l" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*l" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	_, _, err := Parse([]byte(b.String()), nil)
	if err == nil {
		t.Fatal("no error")
	}
}

func TestSampleMatchesShared(t *testing.T) {
	// testdata holds a copy of the shared compat sample; keep them equal.
	// The shared folder sits beside the checkout (or a worktree's parent).
	var want []byte
	dir, err := filepath.Abs(".")
	for err == nil {
		if want, err = os.ReadFile(filepath.Join(dir, "shared", "compat", "config-with-notifications.yml")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			if os.Getenv("CI") == "true" {
				t.Fatal("CI=true: no shared/compat folder above", dir) // CI lays shared/ beside the clone
			}
			t.Skip("no shared/compat folder above", dir)
		}
		dir, err = parent, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("testdata", "config-with-notifications.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Error("testdata/config-with-notifications.yml differs from the shared compat sample")
	}
}
