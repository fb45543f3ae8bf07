package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
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
	switch drivers {
	case 0:
		bad("storage", "no storage driver configured (want filesystem or inmemory)")
	case 2:
		bad("storage", "more than one storage driver configured (filesystem and inmemory); choose one")
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

	if h := c.Auth.Htpasswd; h != nil && strings.TrimSpace(h.Path) == "" {
		bad("auth.htpasswd.path", "missing")
	}

	errs = append(errs, c.Notifications.problems()...)
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
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q: no host", raw)
	}
	return nil
}

// applyDefaults fills what the file left out, as Distribution does.
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
	if h := c.Auth.Htpasswd; h != nil && h.Realm == "" {
		h.Realm = DefaultRealm
	}
	for i := range c.Notifications.Endpoints {
		ep := &c.Notifications.Endpoints[i]
		if ep.Timeout == 0 {
			ep.Timeout = DefaultTimeout
		}
		if ep.Threshold == 0 {
			ep.Threshold = DefaultThreshold
		}
		if ep.Backoff == 0 {
			ep.Backoff = DefaultBackoff
		}
	}
}

// Validate checks the notifications section on its own, for callers that
// build it in code rather than with Parse (the notifications package does).
func (n Notifications) Validate() error { return errors.Join(n.problems()...) }

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
		switch ep.Queue.Kind {
		case "", "memory":
			if ep.Queue.Path != "" {
				bad(key("queue.path"), "only for queue.kind disk")
			}
		case "disk":
			if strings.TrimSpace(ep.Queue.Path) == "" {
				bad(key("queue.path"), "required for queue.kind disk")
			}
		default:
			bad(key("queue.kind"), "unknown queue %q (want memory or disk)", ep.Queue.Kind)
		}
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
