package config

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/hookbench/hookbench/internal/redact"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// validate checks values the YAML types cannot: one error per problem,
// each naming its key.
func (c *Config) validate() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}

	switch c.Version {
	case "0.1":
	case "":
		bad("version", "missing (want 0.1)")
	default:
		bad("version", "unsupported version %q (want 0.1)", c.Version)
	}

	switch strings.ToLower(c.Log.Level) {
	case "", "debug", "info", "warn", "warning", "error":
	default:
		bad("log.level", "unknown level %q (want debug, info, warn or error)", c.Log.Level)
	}
	switch strings.ToLower(c.Log.Formatter) {
	case "", "text", "json", "logstash":
	default:
		bad("log.formatter", "unknown formatter %q (want text or json)", c.Log.Formatter)
	}

	drivers := 0
	if c.Storage.Filesystem != nil {
		drivers++
		if strings.TrimSpace(c.Storage.Filesystem.RootDirectory) == "" {
			bad("storage.filesystem.rootdirectory", "missing")
		}
	}
	if c.Storage.InMemory != nil {
		drivers++
	}
	if c.Storage.S3 != nil {
		drivers++
		errs = append(errs, c.Storage.S3.problems()...)
	}
	switch {
	case drivers == 0:
		bad("storage", "no storage driver configured (want filesystem, inmemory or s3)")
	case drivers > 1:
		bad("storage", "more than one storage driver configured (filesystem, inmemory, s3); choose one")
	}

	u := c.Storage.Maintenance.UploadPurging
	if u.Age < 0 {
		bad("storage.maintenance.uploadpurging.age", "must not be negative, got %v", u.Age)
	}
	if u.Interval < 0 {
		bad("storage.maintenance.uploadpurging.interval", "must not be negative, got %v", u.Interval)
	}

	if c.HTTP.Addr != "" {
		if err := checkAddr(c.HTTP.Addr); err != nil {
			bad("http.addr", "%v", err)
		}
	}
	if c.HTTP.Host != "" {
		if err := checkURL(c.HTTP.Host); err != nil {
			bad("http.host", "%v", err)
		}
	}
	if c.HTTP.DrainTimeout < 0 {
		bad("http.draintimeout", "must not be negative, got %v", c.HTTP.DrainTimeout)
	}
	if c.HTTP.Debug.Addr != "" {
		if err := checkAddr(c.HTTP.Debug.Addr); err != nil {
			bad("http.debug.addr", "%v", err)
		}
	}
	if p := c.HTTP.Debug.Prometheus.Path; p != "" {
		switch {
		case !strings.HasPrefix(p, "/"):
			bad("http.debug.prometheus.path", "%q must start with /", p)
		case p == "/debug/vars" || p == "/debug/health" || strings.HasPrefix(p, "/debug/pprof"):
			bad("http.debug.prometheus.path", "%q is already served by the debug server", p)
		}
	}

	switch c.HTTP.Net {
	case "", "tcp":
	case "unix":
		bad("http.net", "unix sockets are not supported (only tcp)")
	default:
		bad("http.net", "unknown network %q (want tcp)", c.HTTP.Net)
	}
	if p := c.HTTP.Prefix; p != "" {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#") {
			bad("http.prefix", "%q must be a path starting with /", p)
		}
	}
	for name, vals := range c.HTTP.Headers {
		if name == "" || strings.ContainsAny(name, " \t\r\n:") {
			bad("http.headers", "invalid header name %q", name)
		}
		for _, v := range vals {
			if strings.ContainsAny(v, "\r\n") {
				bad("http.headers."+name, "value must not contain a line break")
			}
		}
	}
	if t := c.HTTP.TLS; t != nil {
		errs = append(errs, t.problems()...)
	}
	if h := c.HTTP.Debug.Auth.Htpasswd; h != nil && strings.TrimSpace(h.Path) == "" {
		bad("http.debug.auth.htpasswd.path", "missing")
	}
	if t := c.HTTP.Debug.Auth.Token; t != "" {
		switch {
		case strings.ContainsAny(t, " \t\r\n"):
			bad("http.debug.auth.token", "must not contain spaces or line breaks")
		case len(t) < MinDebugTokenLen:
			bad("http.debug.auth.token", "too short (%d characters); use at least %d", len(t), MinDebugTokenLen)
		}
	}

	if h := c.Auth.Htpasswd; h != nil && strings.TrimSpace(h.Path) == "" {
		bad("auth.htpasswd.path", "missing")
	}
	if t := c.Auth.Token; t != nil {
		if c.Auth.Htpasswd != nil {
			bad("auth", "more than one auth scheme configured (htpasswd and token); choose one")
		}
		for _, k := range []struct{ key, v string }{{"realm", t.Realm}, {"service", t.Service}, {"issuer", t.Issuer}} {
			if strings.TrimSpace(k.v) == "" && (k.key != "realm" || !t.AutoRedirect) {
				bad("auth.token."+k.key, "missing")
			}
		}
		if t.Realm != "" && !t.AutoRedirect {
			if err := checkURL(t.Realm); err != nil {
				bad("auth.token.realm", "%v", err)
			}
		}
		if strings.TrimSpace(t.RootCertBundle) == "" && strings.TrimSpace(t.JWKS) == "" {
			bad("auth.token", "needs rootcertbundle or jwks (the keys that sign tokens)")
		}
		if p := t.AutoRedirectPath; p != "" && !strings.HasPrefix(p, "/") {
			bad("auth.token.autoredirectpath", "%q must start with /", p)
		}
	}

	errs = append(errs, c.Notifications.problems()...)
	return errs
}

// TLSVersions maps http.tls.minimumtls values to crypto/tls versions.
var TLSVersions = map[string]uint16{
	"tls1.0": tls.VersionTLS10,
	"tls1.1": tls.VersionTLS11,
	"tls1.2": tls.VersionTLS12,
	"tls1.3": tls.VersionTLS13,
}

// CipherSuite finds a cipher suite by its Go (and Distribution) name,
// e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256; insecure suites included,
// as Distribution accepts them when named.
func CipherSuite(name string) (*tls.CipherSuite, bool) {
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, cs := range list {
			if cs.Name == name {
				return cs, true
			}
		}
	}
	return nil, false
}

func (t *TLS) problems() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("http.tls.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(t.Certificate) == "" {
		bad("certificate", "missing (TLS needs a certificate and its key)")
	}
	if strings.TrimSpace(t.Key) == "" {
		bad("key", "missing (TLS needs a certificate and its key)")
	}
	for i, ca := range t.ClientCAs {
		if strings.TrimSpace(ca) == "" {
			bad(fmt.Sprintf("clientcas[%d]", i), "empty path")
		}
	}
	switch t.ClientAuth {
	case "", "require-and-verify-client-cert", "verify-client-cert-if-given":
		if t.ClientAuth != "" && len(t.ClientCAs) == 0 {
			bad("clientauth", "needs http.tls.clientcas")
		}
	default:
		bad("clientauth", "unknown mode %q (want require-and-verify-client-cert or verify-client-cert-if-given)", t.ClientAuth)
	}
	minimum, minName := uint16(tls.VersionTLS12), DefaultMinimumTLS
	if t.MinimumTLS != "" {
		minName = t.MinimumTLS
		v, ok := TLSVersions[t.MinimumTLS]
		if !ok {
			bad("minimumtls", "unknown version %q (want tls1.0, tls1.1, tls1.2 or tls1.3)", t.MinimumTLS)
		}
		minimum = v
	}
	for i, name := range t.CipherSuites {
		cs, ok := CipherSuite(name)
		switch {
		case !ok:
			bad(fmt.Sprintf("ciphersuites[%d]", i), "unknown cipher suite %q (want a Go name such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)", name)
		case !slices.ContainsFunc(cs.SupportedVersions, func(v uint16) bool { return v >= minimum }):
			bad(fmt.Sprintf("ciphersuites[%d]", i), "%q is not usable with minimumtls %s", name, minName)
		}
	}
	return errs
}

// checkAddr accepts host:port with a numeric port (":0" included).
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %v", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port must be a number from 0 to 65535", addr)
	}
	return nil
}

func checkURL(raw string) error {
	if raw == "" {
		return errors.New("missing")
	}
	// Errors show the URL redacted: it may carry a password or a token.
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL
		}
		return fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", redact.URL(raw))
	}
	if u.Host == "" {
		return fmt.Errorf("%q: no host", redact.URL(raw))
	}
	return nil
}

// checkSecret accepts a Standard Webhooks secret: "whsec_" (optional)
// followed by a non-empty standard base64 key.
func checkSecret(s string) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	switch {
	case err != nil:
		return errors.New("not a whsec_ base64 secret")
	case len(key) == 0:
		return errors.New("empty secret")
	}
	return nil
}

// S3 limits on multipart parts, for chunksize and multipartcopychunksize.
const (
	minS3Part = 5 << 20
	maxS3Part = 5 << 30
)

// problems is one error per problem in storage.s3, each naming its key;
// the secret key's value is never part of a message.
func (s *S3) problems() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("storage.s3.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(s.Region) == "" {
		bad("region", "missing (any region name will do for an S3-compatible regionendpoint, e.g. us-east-1)")
	}
	switch b := s.Bucket; {
	case strings.TrimSpace(b) == "":
		bad("bucket", "missing")
	case len(b) < 3 || len(b) > 63 || strings.ContainsAny(b, "/ \t") || strings.Contains(b, ".."):
		bad("bucket", "%q is not a bucket name (3 to 63 characters, no slashes or spaces)", b)
	}
	if ep := s.RegionEndpoint; ep != "" {
		if strings.Contains(ep, "://") {
			if err := checkURL(ep); err != nil {
				bad("regionendpoint", "%v", err)
			} else if u, _ := url.Parse(ep); u.Path != "" && u.Path != "/" {
				bad("regionendpoint", "%q: no path allowed, only scheme://host[:port]", ep)
			}
		} else if strings.ContainsAny(ep, "/ ") {
			bad("regionendpoint", "%q is not a URL or host[:port]", ep)
		}
	}
	for _, seg := range strings.Split(strings.Trim(s.RootDirectory, "/"), "/") {
		if seg == "." || seg == ".." || (seg == "" && strings.Trim(s.RootDirectory, "/") != "") {
			bad("rootdirectory", "%q: no empty, . or .. path segments", s.RootDirectory)
			break
		}
	}
	switch {
	case s.AccessKey != "" && s.SecretKey == "":
		bad("secretkey", "missing (accesskey is set; give both or neither)")
	case s.AccessKey == "" && s.SecretKey != "":
		bad("accesskey", "missing (secretkey is set; give both or neither)")
	}
	for _, c := range []struct {
		key      string
		v        int
		min, max int
	}{
		{"chunksize", s.ChunkSize, minS3Part, maxS3Part},
		{"multipartcopychunksize", s.MultipartCopyChunkSize, minS3Part, maxS3Part},
		{"multipartcopythresholdsize", s.MultipartCopyThresholdSize, 0, maxS3Part},
		{"multipartcopymaxconcurrency", s.MultipartCopyMaxConcurrency, 0, 100},
	} {
		// 0 (or absent) takes the default.
		if c.v != 0 && (c.v < c.min || c.v > c.max) {
			bad(c.key, "must be from %d to %d, got %d", c.min, c.max, c.v)
		}
	}
	return errs
}

// applyDefaults fills what the file left out, as Distribution does. The
// endpoints' timeout, threshold and backoff stay zero: the notifications
// package owns those defaults.
func (c *Config) applyDefaults() {
	c.Log.Level = strings.ToLower(c.Log.Level)
	if c.Log.Level == "" {
		c.Log.Level = DefaultLogLevel
	}
	if c.Log.Level == "warning" {
		c.Log.Level = "warn"
	}
	c.Log.Formatter = strings.ToLower(c.Log.Formatter)
	switch c.Log.Formatter {
	case "":
		c.Log.Formatter = DefaultLogFormatter
	case "logstash": // Distribution's JSON flavour
		c.Log.Formatter = "json"
	}
	if c.HTTP.Addr == "" {
		c.HTTP.Addr = DefaultAddr
	}
	if c.HTTP.DrainTimeout == 0 {
		c.HTTP.DrainTimeout = DefaultDrainTimeout
	}
	if c.HTTP.Debug.Prometheus.Path == "" {
		c.HTTP.Debug.Prometheus.Path = DefaultPrometheusPath
	}
	if s := c.Storage.S3; s != nil {
		if s.Secure == nil {
			secure := true
			s.Secure = &secure
		}
		for _, d := range []struct {
			v   *int
			def int
		}{
			{&s.ChunkSize, DefaultS3ChunkSize},
			{&s.MultipartCopyThresholdSize, DefaultS3MultipartCopyThresholdSize},
			{&s.MultipartCopyChunkSize, DefaultS3MultipartCopyChunkSize},
			{&s.MultipartCopyMaxConcurrency, DefaultS3MultipartCopyMaxConcurrency},
		} {
			if *d.v == 0 {
				*d.v = d.def
			}
		}
	}
	if h := c.Auth.Htpasswd; h != nil && h.Realm == "" {
		h.Realm = DefaultRealm
	}
	if t := c.HTTP.TLS; t != nil && t.MinimumTLS == "" {
		t.MinimumTLS = DefaultMinimumTLS
	}
	if t := c.HTTP.TLS; t != nil && t.ClientAuth == "" && len(t.ClientCAs) > 0 {
		t.ClientAuth = "require-and-verify-client-cert"
	}
	if t := c.Auth.Token; t != nil && t.AutoRedirect && t.AutoRedirectPath == "" {
		t.AutoRedirectPath = DefaultAutoRedirect
	}
}

// Validate checks a config built in code (Parse already has): every
// problem in one error, each line naming its key.
func (c *Config) Validate() error { return errors.Join(c.validate()...) }

// problems is one error per problem in the notifications section, each
// naming its key.
func (n Notifications) problems() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	seen := map[string]int{}
	for i, ep := range n.Endpoints {
		key := func(k string) string { return fmt.Sprintf("notifications.endpoints[%d].%s", i, k) }
		switch j, dup := seen[ep.Name]; {
		case strings.TrimSpace(ep.Name) == "":
			bad(key("name"), "missing")
		case dup:
			bad(key("name"), "%q is already the name of notifications.endpoints[%d]", ep.Name, j)
		default:
			seen[ep.Name] = i
		}
		if err := checkURL(ep.URL); err != nil {
			bad(key("url"), "%v", err)
		}
		if ep.Timeout < 0 {
			bad(key("timeout"), "must not be negative, got %v", ep.Timeout)
		}
		if ep.Threshold < 0 {
			bad(key("threshold"), "must not be negative, got %d", ep.Threshold)
		}
		if ep.Backoff < 0 {
			bad(key("backoff"), "must not be negative, got %v", ep.Backoff)
		}
		for name, vals := range ep.Headers {
			if name == "" || strings.ContainsAny(name, " \t\r\n:") {
				bad(key("headers"), "invalid header name %q", name)
			}
			for _, v := range vals {
				if strings.ContainsAny(v, "\r\n") {
					bad(key("headers."+name), "value must not contain a line break")
				}
			}
		}
		for _, c := range []struct {
			k string
			v int
		}{{"batch.maxevents", ep.Batch.MaxEvents}, {"concurrency", ep.Concurrency}, {"retry.maxattempts", ep.Retry.MaxAttempts}} {
			if c.v < 0 {
				bad(key(c.k), "must not be negative, got %d", c.v)
			}
		}
		for _, c := range []struct {
			k string
			v time.Duration
		}{{"batch.maxwait", ep.Batch.MaxWait}, {"retry.maxage", ep.Retry.MaxAge}, {"retry.backoff", ep.Retry.Backoff}, {"retry.maxbackoff", ep.Retry.MaxBackoff}} {
			if c.v < 0 {
				bad(key(c.k), "must not be negative, got %v", c.v)
			}
		}
		if ep.DeadLetter.Path != "" && ep.Retry.MaxAttempts == 0 && ep.Retry.MaxAge == 0 && !ep.DeadLetter.On4xx {
			bad(key("deadletter.path"), "set, but nothing is ever given up: set retry.maxattempts, retry.maxage or deadletter.on4xx")
		}
		for j, s := range ep.Signing.Secrets {
			if err := checkSecret(s); err != nil {
				bad(key(fmt.Sprintf("signing.secrets[%d]", j)), "%v", err)
			}
		}
		switch ep.Queue.Kind {
		case "", "memory", "nats":
			if ep.Queue.Path != "" {
				bad(key("queue.path"), "only for queue.kind disk")
			}
		case "disk":
			if strings.TrimSpace(ep.Queue.Path) == "" {
				bad(key("queue.path"), "required for queue.kind disk")
			}
		default:
			bad(key("queue.kind"), "unknown queue %q (want memory, disk or nats)", ep.Queue.Kind)
		}
		errs = append(errs, natsProblems(ep.Queue, key)...)
		for j, a := range ep.Ignore.Actions {
			switch a {
			case "push", "pull", "mount", "delete":
			default:
				bad(key(fmt.Sprintf("ignore.actions[%d]", j)), "unknown action %q (want push, pull, mount or delete)", a)
			}
		}
	}
	return errs
}
