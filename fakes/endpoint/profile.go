package endpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"time"

	"gopkg.in/yaml.v3"
)

// Profile is a fault profile: how the receiver misbehaves. The zero value
// answers 200 to every valid delivery. See the package doc for the JSON.
type Profile struct {
	Fault `yaml:",inline"`

	// Refuse stops listening: connections are refused until a profile
	// without Refuse is set, then the receiver listens on the same port.
	Refuse bool `json:"refuse,omitempty" yaml:"refuse,omitempty"`
	// Flap alternates up and down (refusing), each phase this long.
	Flap Duration `json:"flap,omitempty" yaml:"flap,omitempty"`
	// Rules give some deliveries a different fault (first match wins).
	Rules []Rule `json:"rules,omitempty" yaml:"rules,omitempty"`

	// Location is sent with every 3xx answer: a receiver that moved. The
	// events did not reach it, so a 3xx never counts as delivered.
	Location string `json:"location,omitempty" yaml:"location,omitempty"`
	// RetryAfter is sent as the Retry-After header of every 429 and 503
	// answer (seconds, e.g. "1", or an HTTP date).
	RetryAfter string `json:"retryAfter,omitempty" yaml:"retryAfter,omitempty"`

	// Authorization, when set, must equal the request's Authorization header.
	Authorization string `json:"authorization,omitempty" yaml:"authorization,omitempty"`
	// Secret, when set ("whsec_<base64 key>"), requires a valid Standard
	// Webhooks signature (webhook-id, webhook-timestamp, webhook-signature).
	Secret string `json:"secret,omitempty" yaml:"secret,omitempty"`
	// SignatureTolerance bounds |now - webhook-timestamp| (default 5m).
	SignatureTolerance Duration `json:"signatureTolerance,omitempty" yaml:"signatureTolerance,omitempty"`

	// Duplicate (proxy mode) is the fraction of forwarded deliveries sent
	// to the real receiver twice.
	Duplicate float64 `json:"duplicate,omitempty" yaml:"duplicate,omitempty"`
	// Reorder (proxy mode) is the fraction of deliveries answered 200 at
	// once and forwarded only after the next delivery (or after 1s).
	Reorder float64 `json:"reorder,omitempty" yaml:"reorder,omitempty"`
}

// Fault is what happens to one delivery.
type Fault struct {
	Status      int      `json:"status,omitempty" yaml:"status,omitempty"`
	Sequence    []int    `json:"sequence,omitempty" yaml:"sequence,omitempty"`
	ErrorRate   float64  `json:"errorRate,omitempty" yaml:"errorRate,omitempty"`
	ErrorStatus int      `json:"errorStatus,omitempty" yaml:"errorStatus,omitempty"`
	Seed        int64    `json:"seed,omitempty" yaml:"seed,omitempty"`
	FailFirst   int      `json:"failFirst,omitempty" yaml:"failFirst,omitempty"`
	FailStatus  int      `json:"failStatus,omitempty" yaml:"failStatus,omitempty"`
	Latency     *Latency `json:"latency,omitempty" yaml:"latency,omitempty"`
	Hang        bool     `json:"hang,omitempty" yaml:"hang,omitempty"`
	Reset       bool     `json:"reset,omitempty" yaml:"reset,omitempty"`
}

// Rule applies its Fault to deliveries with an event matching every
// non-empty pattern (path.Match syntax).
type Rule struct {
	Repository string `json:"repository,omitempty" yaml:"repository,omitempty"`
	Action     string `json:"action,omitempty" yaml:"action,omitempty"`
	MediaType  string `json:"mediaType,omitempty" yaml:"mediaType,omitempty"`
	Fault      `yaml:",inline"`
}

// Latency delays the answer: Fixed, plus uniform in [Min, Max] when Max > 0,
// plus a lognormal long tail with the given Median and Sigma when Median > 0.
// In JSON a bare duration string means Fixed.
type Latency struct {
	Fixed  Duration `json:"fixed,omitempty" yaml:"fixed,omitempty"`
	Min    Duration `json:"min,omitempty" yaml:"min,omitempty"`
	Max    Duration `json:"max,omitempty" yaml:"max,omitempty"`
	Median Duration `json:"median,omitempty" yaml:"median,omitempty"`
	Sigma  float64  `json:"sigma,omitempty" yaml:"sigma,omitempty"`
	Seed   int64    `json:"seed,omitempty" yaml:"seed,omitempty"`
}

// UnmarshalJSON accepts "250ms" (fixed) or the object form.
func (l *Latency) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '{' {
		var d Duration
		if err := d.UnmarshalJSON(b); err != nil {
			return err
		}
		*l = Latency{Fixed: d}
		return nil
	}
	type plain Latency
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	*l = Latency(p)
	return nil
}

// Duration is a time.Duration that reads and writes JSON as "1.5s" (and
// also reads integer nanoseconds).
type Duration time.Duration

// MarshalJSON writes a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string or integer nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: want Go syntax like \"250ms\"", s)
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration %s: want a string like \"250ms\" or integer nanoseconds", b)
	}
	*d = Duration(n)
	return nil
}

// MarshalYAML writes a Go duration string (scenario files).
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// UnmarshalYAML reads a Go duration string; the error names the line, as
// yaml.v3's own errors do.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: duration %q: want Go syntax like \"250ms\"", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// ParseProfile decodes a JSON profile strictly (unknown keys are an error
// naming the key) and validates it.
func ParseProfile(data []byte) (Profile, error) {
	var p Profile
	if len(bytes.TrimSpace(data)) == 0 {
		return p, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("profile: %w", err)
	}
	if dec.More() {
		return Profile{}, errors.New("profile: trailing data after the JSON object")
	}
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// Validate reports the first invalid key.
func (p Profile) Validate() error {
	if err := p.Fault.validate("profile"); err != nil {
		return err
	}
	if p.Flap < 0 {
		return errors.New("profile: flap must be >= 0")
	}
	if p.Refuse && p.Flap > 0 {
		return errors.New("profile: refuse and flap are exclusive")
	}
	if p.SignatureTolerance < 0 {
		return errors.New("profile: signatureTolerance must be >= 0")
	}
	if p.Secret != "" {
		if _, err := decodeSecret(p.Secret); err != nil {
			return fmt.Errorf("profile: secret: %w", err)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"duplicate", p.Duplicate}, {"reorder", p.Reorder}} {
		if f.v < 0 || f.v > 1 {
			return fmt.Errorf("profile: %s must be in [0,1], got %g", f.name, f.v)
		}
	}
	for i, r := range p.Rules {
		where := fmt.Sprintf("profile: rules[%d]", i)
		for _, pat := range []struct{ key, v string }{{"repository", r.Repository}, {"action", r.Action}, {"mediaType", r.MediaType}} {
			if _, err := path.Match(pat.v, ""); err != nil {
				return fmt.Errorf("%s.%s: bad pattern %q: %w", where, pat.key, pat.v, err)
			}
		}
		if err := r.Fault.validate(where); err != nil {
			return err
		}
	}
	return nil
}

func (f Fault) validate(where string) error {
	checkStatus := func(key string, s int, zeroOK bool) error {
		if s == 0 && zeroOK {
			return nil
		}
		if s < 100 || s > 999 {
			return fmt.Errorf("%s.%s: %d is not an HTTP status (100-999)", where, key, s)
		}
		return nil
	}
	for _, c := range []struct {
		key string
		s   int
	}{{"status", f.Status}, {"errorStatus", f.ErrorStatus}, {"failStatus", f.FailStatus}} {
		if err := checkStatus(c.key, c.s, true); err != nil {
			return err
		}
	}
	for i, s := range f.Sequence {
		if err := checkStatus(fmt.Sprintf("sequence[%d]", i), s, true); err != nil {
			return err
		}
	}
	if f.ErrorRate < 0 || f.ErrorRate > 1 {
		return fmt.Errorf("%s.errorRate: must be in [0,1], got %g", where, f.ErrorRate)
	}
	if f.FailFirst < 0 {
		return fmt.Errorf("%s.failFirst: must be >= 0", where)
	}
	if f.Hang && f.Reset {
		return fmt.Errorf("%s: hang and reset are exclusive", where)
	}
	if l := f.Latency; l != nil {
		if l.Fixed < 0 || l.Min < 0 || l.Max < 0 || l.Median < 0 || l.Sigma < 0 {
			return fmt.Errorf("%s.latency: values must be >= 0", where)
		}
		if l.Max > 0 && l.Min > l.Max {
			return fmt.Errorf("%s.latency: min %v > max %v", where, time.Duration(l.Min), time.Duration(l.Max))
		}
	}
	return nil
}

func (r Rule) matches(e event) bool {
	return match(r.Repository, e.Target.Repository) && match(r.Action, e.Action) && match(r.MediaType, e.Target.MediaType)
}

func match(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	ok, _ := path.Match(pattern, s)
	return ok
}
