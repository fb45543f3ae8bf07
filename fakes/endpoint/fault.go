package endpoint

import (
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// decision is what one delivery gets.
type decision struct {
	delay  time.Duration
	hang   bool
	reset  bool
	status int // 0: no fault status; answer 200 or forward in proxy mode
}

// faultState is a Fault plus the state that makes it exact and
// reproducible: a delivery counter and seeded generators.
type faultState struct {
	f Fault

	mu  sync.Mutex
	n   int        // deliveries decided so far
	err *rand.Rand // error-rate draws
	lat *rand.Rand // latency draws
}

func newFaultState(f Fault) *faultState {
	s := &faultState{f: f}
	s.err = rand.New(rand.NewPCG(uint64(f.Seed), 0x6661756c74))
	var ls int64
	if f.Latency != nil {
		ls = f.Latency.Seed
	}
	s.lat = rand.New(rand.NewPCG(uint64(ls), 0x6c6174))
	return s
}

// decide consumes one delivery. Deliveries are serialised so that a
// sequence or a seeded rate gives exactly the same answers in the same
// order whatever the concurrency.
func (s *faultState) decide() decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d decision
	if l := s.f.Latency; l != nil {
		d.delay = s.delay(l)
	}
	n := s.n
	s.n++
	switch f := s.f; {
	case f.Hang:
		d.hang = true
	case f.Reset:
		d.reset = true
	case n < f.FailFirst:
		d.status = orDefault(f.FailStatus, 500)
	case len(f.Sequence) > 0:
		d.status = f.Sequence[(n-f.FailFirst)%len(f.Sequence)]
	case f.ErrorRate > 0 && s.err.Float64() < f.ErrorRate:
		d.status = orDefault(f.ErrorStatus, 500)
	default:
		d.status = f.Status
	}
	return d
}

// maxDelay keeps a long-tail draw from overflowing.
const maxDelay = time.Hour

func (s *faultState) delay(l *Latency) time.Duration {
	d := float64(l.Fixed)
	if l.Max > 0 {
		d += float64(l.Min) + s.lat.Float64()*float64(l.Max-l.Min)
	}
	if l.Median > 0 {
		d += float64(l.Median) * math.Exp(l.Sigma*s.lat.NormFloat64())
	}
	if d > float64(maxDelay) {
		return maxDelay
	}
	return time.Duration(d)
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// compiled is a validated Profile with its runtime state.
type compiled struct {
	p         Profile
	key       []byte // signature key, nil when not verifying
	tolerance time.Duration
	base      *faultState
	rules     []*faultState

	mu    sync.Mutex
	proxy *rand.Rand // duplicate/reorder draws
}

func compile(p Profile) (*compiled, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	c := &compiled{p: p, base: newFaultState(p.Fault), tolerance: time.Duration(p.SignatureTolerance)}
	if c.tolerance == 0 {
		c.tolerance = DefaultSignatureTolerance
	}
	if p.Secret != "" {
		c.key, _ = decodeSecret(p.Secret) // validated above
	}
	for _, r := range p.Rules {
		c.rules = append(c.rules, newFaultState(r.Fault))
	}
	c.proxy = rand.New(rand.NewPCG(uint64(p.Seed), 0x70726f7879))
	return c, nil
}

// faultFor is the state of the first rule matching any event, else the base.
func (c *compiled) faultFor(events []event) *faultState {
	for i, r := range c.p.Rules {
		for _, e := range events {
			if r.matches(e) {
				return c.rules[i]
			}
		}
	}
	return c.base
}

// proxyDraw decides duplicate and reorder for one forwarded delivery.
func (c *compiled) proxyDraw() (dup, reorder bool) {
	if c.p.Duplicate == 0 && c.p.Reorder == 0 {
		return false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proxy.Float64() < c.p.Duplicate, c.proxy.Float64() < c.p.Reorder
}
