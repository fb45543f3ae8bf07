package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// NATSQueue is queue.kind nats: accepted events are published to a
// JetStream stream that every replica of the registry shares and delivers
// from. Credentials (Password, Token) are never shown: not in errors, not
// in /debug/vars.
type NATSQueue struct {
	URLs          []string      `yaml:"urls,omitempty"`          // nats://host:port of the cluster's nodes; required
	Stream        string        `yaml:"stream,omitempty"`        // default HOOKBENCH_<endpoint name>
	SubjectPrefix string        `yaml:"subjectprefix,omitempty"` // default hookbench.<endpoint name>
	Replicas      int           `yaml:"replicas,omitempty"`      // copies of each event; default 3
	AckWait       time.Duration `yaml:"ackwait,omitempty"`       // how long a replica that went silent holds an event; default 30s

	Username        string `yaml:"username,omitempty"`
	Password        string `yaml:"password,omitempty"`
	Token           string `yaml:"token,omitempty"`
	CredentialsFile string `yaml:"credentialsfile,omitempty"` // a .creds file (JWT and NKey seed)
}

// Defaults of queue.nats.
const (
	DefaultNATSReplicas = 3
	DefaultNATSAckWait  = 30 * time.Second
)

// maxNATSReplicas is JetStream's own limit.
const maxNATSReplicas = 5

// natsProblems checks queue.nats against queue.kind. Errors name the key
// and never show a credential, nor a URL's userinfo.
func natsProblems(q Queue, key func(string) string) []error {
	var errs []error
	if q.Kind != "nats" {
		if q.NATS != nil {
			errs = append(errs, fmt.Errorf("%s: only for queue.kind nats", key("queue.nats")))
		}
		return errs
	}
	bad := func(k, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key("queue.nats."+k), fmt.Sprintf(format, args...)))
	}
	var n NATSQueue
	if q.NATS != nil {
		n = *q.NATS
	}
	if len(n.URLs) == 0 {
		bad("urls", "required for queue.kind nats")
	}
	for i, raw := range n.URLs {
		if err := checkNATSURL(raw); err != nil {
			bad(fmt.Sprintf("urls[%d]", i), "%v", err)
		}
	}
	if n.Stream != "" && (strings.ContainsAny(n.Stream, " \t\r\n.*>/\\") || !isPrintableASCII(n.Stream)) {
		bad("stream", "%q: a stream name has no spaces, dots, *, >, slashes or non-ASCII", n.Stream)
	}
	if n.SubjectPrefix != "" {
		for _, tok := range strings.Split(n.SubjectPrefix, ".") {
			if tok == "" || strings.ContainsAny(tok, " \t\r\n*>") || !isPrintableASCII(tok) {
				bad("subjectprefix", "%q: want dot-separated tokens without spaces, * or >", n.SubjectPrefix)
				break
			}
		}
	}
	if n.Replicas < 0 || n.Replicas > maxNATSReplicas {
		bad("replicas", "must be between 1 and %d (0: %d), got %d", maxNATSReplicas, DefaultNATSReplicas, n.Replicas)
	}
	if n.AckWait < 0 || (n.AckWait > 0 && n.AckWait < time.Second) {
		bad("ackwait", "must be at least 1s (0: %v), got %v", DefaultNATSAckWait, n.AckWait)
	}
	if n.Password != "" && n.Username == "" {
		bad("password", "set without queue.nats.username")
	}
	if n.Username != "" && n.Token != "" {
		bad("token", "set together with queue.nats.username: use one or the other")
	}
	if n.CredentialsFile != "" && (n.Username != "" || n.Token != "") {
		bad("credentialsfile", "set together with queue.nats.username or token: use one")
	}
	return errs
}

// checkNATSURL accepts what the NATS client dials. The URL is shown only
// without its userinfo, which may hold a password.
func checkNATSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	shown := u.Redacted()
	if u.User != nil {
		shown = (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	}
	switch u.Scheme {
	case "nats", "tls", "ws", "wss":
	default:
		return fmt.Errorf("%q: scheme must be nats, tls, ws or wss", shown)
	}
	if u.Host == "" {
		return fmt.Errorf("%q: no host", shown)
	}
	return nil
}

func isPrintableASCII(s string) bool {
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}
