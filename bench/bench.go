package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/hookbench/hookbench/fakes/endpoint"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/hookbench/hookbench/harness/observe"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/process"
	"github.com/hookbench/hookbench/load"
)

// Options configure one benchmark run.
type Options struct {
	Binaries    process.Binaries // ours and the fake endpoint
	Peer        string           // CNCF Distribution's registry binary
	PeerVersion string
	Sizes       Sizes
	WorkDir     string    // disk queues live here (removed per measurement)
	Log         io.Writer // progress lines; nil: discarded
	Command     string    // how the run was started, for the report
	// Storage sizes the storage measurements (storage.go); Sections picks
	// what runs: "notifications", "storage", "queue" (empty: all).
	Storage  StorageSize
	Sections []string
}

func (o Options) runs(section string) bool {
	return len(o.Sections) == 0 || slices.Contains(o.Sections, section)
}

// DefaultSizes fit `make bench` in about 12-15 minutes on two cores.
func DefaultSizes() Sizes {
	return Sizes{
		RateEventsPeer:  800,
		RateEventsExt:   30_000,
		DrainEvents:     100_000,
		DrainEventsPeer: 20_000,
		MemoryEvents:    1_000_000,
		MemoryDistinct:  100,
		// 1,000,000 PUTs at about 4,000/s take about 250 s.
		MemoryPushLimit: 6 * time.Minute,
		PushDuration:    10 * time.Second,
		PushWorkers:     32,
		Repositories:    64,
		DrainLimit:      90 * time.Second,
		QueueEvents:     20_000,
	}
}

type bencher struct {
	o   Options
	log io.Writer
}

// Run makes every measurement in turn; one that fails is recorded in
// Report.Errors and the others still run.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.WorkDir == "" {
		o.WorkDir = os.TempDir()
	}
	b := &bencher{o: o, log: o.Log}
	s := o.Sizes
	rep := &Report{Started: time.Now(), Machine: machineFacts(), Command: o.Command, Sizes: s, Settings: ExtensionsYAML}
	rep.Machine.Peer = o.PeerVersion
	if rep.Machine.Peer == "" {
		rep.Machine.Peer = o.Peer
	}
	fail := func(what string, err error) {
		msg := fmt.Sprintf("%s: %v", what, err)
		rep.Errors = append(rep.Errors, msg)
		fmt.Fprintln(b.log, "bench: FAILED", msg)
	}

	if o.runs("notifications") {
		b.notifications(ctx, rep, fail)
	}
	if o.runs("storage") {
		rep.Storage = b.storage(ctx, fail)
	}
	if o.runs("queue") {
		rep.Queue = b.queue(ctx, fail)
	}
	rep.Duration = time.Since(rep.Started).Round(time.Second).String()
	return rep, ctx.Err()
}

// notifications makes the delivery, drain, memory and push measurements.
func (b *bencher) notifications(ctx context.Context, rep *Report, fail func(string, error)) {
	s := b.o.Sizes
	for _, c := range []struct {
		subject string
		n       int
	}{{Distribution, s.RateEventsPeer}, {OursDefault, s.RateEventsPeer}, {OursExt, s.RateEventsExt}} {
		d, err := b.backlog(ctx, c.subject, c.n, "10ms")
		if err != nil {
			fail("delivery rate "+c.subject, err)
			continue
		}
		rep.Rate = append(rep.Rate, d)
	}
	for _, c := range []struct {
		subject string
		n       int
	}{{Distribution, s.DrainEventsPeer}, {OursDefault, s.DrainEventsPeer}, {OursExt, s.DrainEvents}} {
		d, err := b.backlog(ctx, c.subject, c.n, "0ms")
		if err != nil {
			fail("drain "+c.subject, err)
			continue
		}
		rep.Drain = append(rep.Drain, d)
	}

	for _, d := range rep.Drain { // free figures: VmRSS before each drain
		rep.Memory = append(rep.Memory, Memory{Subject: d.Subject, Pending: d.Events, RegistryPending: d.RegistryPending, RSS: d.RSSPending, Mem: d.MemPending, PushSeconds: d.PushSeconds, Note: "before the 0 ms drain above; every push a new manifest"})
	}
	ours, err := b.memory(ctx, OursExt, s.MemoryEvents, s.MemoryPushLimit)
	if err != nil {
		fail("memory "+OursExt, err)
	} else {
		rep.Memory = append(rep.Memory, ours)
	}
	if ours.Pushes > 0 {
		// Control: the same pushes with no endpoint at all, so the registry's
		// own memory (storage metadata) is told apart from the queue's.
		m, err := b.memoryAt(ctx, OursDefault, nil, ours.Pushes, s.MemoryPushLimit)
		if err != nil {
			fail("memory control "+OursDefault, err)
		} else {
			m.Subject, m.Note = OursNoEndpoint, joinNote("control: no notifications endpoint", m.Note)
			rep.Memory = append(rep.Memory, m)
		}
	}
	if !s.SkipPeerMemory {
		n := s.MemoryEventsPeer
		if n == 0 {
			n = max(ours.Pushes, s.MemoryEvents/10)
		}
		m, err := b.memory(ctx, Distribution, n, s.MemoryPushLimit)
		if err != nil {
			fail("memory "+Distribution, err)
		} else {
			rep.Memory = append(rep.Memory, m)
		}
	}

	for _, subject := range []string{Distribution, OursDefault, OursExt} {
		for _, state := range []string{"none", "healthy", "dead"} {
			p, err := b.push(ctx, subject, state)
			if err != nil {
				fail("push "+subject+"/"+state, err)
				continue
			}
			rep.Push = append(rep.Push, p)
		}
	}
}

// setup is one registry and (optionally) one fake endpoint, fresh per
// measurement so no backlog carries over.
type setup struct {
	rt    *process.Runtime
	reg   runtime.Registry
	fake  *endpoint.Client
	queue string
}

func (s *setup) close() {
	_ = s.rt.Close(context.Background())
	if s.queue != "" {
		_ = os.RemoveAll(filepath.Dir(s.queue))
	}
}

// start runs subject with an endpoint whose initial profile is profile
// (nil: no endpoint configured at all).
func (b *bencher) start(ctx context.Context, subject string, profile *endpoint.Profile) (*setup, error) {
	render := func(epURL, queue string) string { return configTemplate(subject, epURL, queue) }
	return b.startConfig(ctx, subject, profile, subject == OursExt, render)
}

// startConfig is start with the config rendered by render (endpoint URL,
// disk queue path); withQueue makes a fresh folder for the disk queue.
func (b *bencher) startConfig(ctx context.Context, subject string, profile *endpoint.Profile, withQueue bool, render func(epURL, queue string) string) (*setup, error) {
	rt, err := process.New(b.o.Binaries)
	if err != nil {
		return nil, err
	}
	s := &setup{rt: rt}
	epURL := ""
	if profile != nil {
		ep, err := rt.NewEndpoint(ctx, runtime.EndpointSpec{Name: "bench", Profile: *profile})
		if err != nil {
			s.close()
			return nil, err
		}
		epURL, s.fake = ep.RegistryURL, endpoint.NewClient(ep.AdminURL)
	}
	if withQueue {
		dir, err := os.MkdirTemp(b.o.WorkDir, "bench-queue-")
		if err != nil {
			s.close()
			return nil, err
		}
		s.queue = filepath.Join(dir, "queue.db")
	}
	spec := runtime.RegistrySpec{ConfigTemplate: render(epURL, s.queue)}
	if subject == Distribution {
		spec.Binary = &runtime.BinaryRegistry{Path: b.o.Peer}
	}
	s.reg, err = rt.StartRegistry(ctx, spec)
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *setup) pid() (int, error) {
	u, err := url.Parse(s.reg.URL)
	if err != nil {
		return 0, err
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return 0, fmt.Errorf("registry URL %s: %w", s.reg.URL, err)
	}
	return PIDListening(port)
}

// pending is the registry's own Pending counter for the bench endpoint,
// from /debug/vars (-1: no endpoint, or not readable), so the report shows
// the registry agreeing with the load's ledger.
func (s *setup) pending(ctx context.Context) int {
	if s.fake == nil || s.reg.DebugURL == "" {
		return -1
	}
	v, err := observe.FetchVars(ctx, http.DefaultClient, s.reg.DebugURL)
	if err != nil {
		return -1
	}
	m, ok := v.Endpoint("bench")
	if !ok {
		return -1
	}
	return m.Pending
}

func (s *setup) mem() (Mem, error) {
	pid, err := s.pid()
	if err != nil {
		return Mem{}, err
	}
	return ReadMem(pid)
}

// pushManifests PUTs up to n manifests by tag (bounded by limit), each one
// event; it returns the events the registry owes (seeding included).
// distinct > 0 re-pushes that many manifests per repository (load's
// Profile.Distinct) so the registry's storage stays constant; 0 makes every
// push a new manifest.
func (b *bencher) pushManifests(ctx context.Context, s *setup, n, distinct int, limit time.Duration) (int, *load.Result, error) {
	ledger := &load.Ledger{}
	w := uint64(b.o.Sizes.PushWorkers)
	res, err := load.Run(ctx, load.Target{URL: s.reg.URL, SingleRequestUpload: s.reg.SingleRequestUpload},
		load.Profile{Op: load.OpManifestPush, Repositories: b.o.Sizes.Repositories, Distinct: distinct, Count: n, Duration: limit, Workers: w, MaxWorkers: w},
		ledger, nil)
	if err != nil {
		return 0, nil, err
	}
	return ledger.Len(), res, nil
}

// backlog pushes n events while the endpoint refuses connections, then
// brings it up with the given per-request latency and times the drain.
func (b *bencher) backlog(ctx context.Context, subject string, n int, latency string) (Drain, error) {
	fmt.Fprintf(b.log, "bench: %s: backlog of %d events, then a %s receiver\n", subject, n, latency)
	d := Drain{Subject: subject, Latency: latency}
	s, err := b.start(ctx, subject, refusing())
	if err != nil {
		return d, err
	}
	defer s.close()
	return b.drainBacklog(ctx, s, d, n, latency)
}

// drainBacklog is backlog on a setup already started with a refusing
// endpoint (closed by the caller).
func (b *bencher) drainBacklog(ctx context.Context, s *setup, d Drain, n int, latency string) (Drain, error) {
	subject := d.Subject
	t0 := time.Now()
	owed, _, err := b.pushManifests(ctx, s, n, 0, b.o.Sizes.MemoryPushLimit)
	if err != nil {
		return d, err
	}
	d.Events, d.PushSeconds = owed, time.Since(t0).Seconds()
	mem, err := s.mem()
	if err != nil {
		return d, err
	}
	d.RSSPending, d.MemPending = mem.VmRSS, mem
	d.RegistryPending = s.pending(ctx)
	fmt.Fprintf(b.log, "bench: %s: %d events pending after %.1fs of pushing, VmRSS %s\n", subject, owed, d.PushSeconds, MiB(d.RSSPending))
	per, err := time.ParseDuration(latency)
	if err != nil {
		return d, fmt.Errorf("bench: receiver latency %q: %w", latency, err)
	}
	slow := endpoint.Profile{Fault: endpoint.Fault{Latency: &endpoint.Latency{Fixed: endpoint.Duration(per)}}}
	if err := s.fake.SetProfile(ctx, slow); err != nil {
		return d, err
	}
	up := time.Now()
	var first, last time.Time
	firstCount := 0
	deadline := up.Add(b.o.Sizes.DrainLimit)
	for {
		st, err := s.fake.Stats(ctx)
		if err != nil {
			return d, err
		}
		now := time.Now()
		if st.Delivered > 0 && first.IsZero() {
			first, firstCount = now, st.Delivered
		}
		if st.Delivered > d.Delivered {
			last = now
		}
		d.Delivered = st.Delivered
		if d.Delivered >= owed {
			d.Complete = true
			break
		}
		if now.After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond) // polling interval, bounded by the deadline above
	}
	if !first.IsZero() {
		d.FirstSeconds = first.Sub(up).Seconds()
		// The first poll already saw firstCount: the rate counts what came after.
		if span := last.Sub(first).Seconds(); span > 0 {
			d.Rate = float64(d.Delivered-firstCount) / span
		}
	}
	d.DrainSeconds = last.Sub(up).Seconds()
	if last.IsZero() {
		d.DrainSeconds = time.Since(up).Seconds()
	}
	if d.Complete {
		// The registry's own word that nothing is owed: Pending counts an
		// event until its delivery is recorded (for nats, removed from the
		// stream), which may come a little after the receiver saw it.
		for p := s.pending(ctx); p >= 0; p = s.pending(ctx) {
			if p == 0 {
				d.PendingZeroSeconds = time.Since(up).Seconds()
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			time.Sleep(20 * time.Millisecond) // polling interval, bounded by the deadline above
		}
	}
	fmt.Fprintf(b.log, "bench: %s: %d/%d delivered in %.2fs, %.0f events/s\n", subject, d.Delivered, owed, d.DrainSeconds, d.Rate)
	return d, nil
}

// memory pushes up to n manifests (bounded by limit) while the endpoint
// refuses connections and reads the registry's VmRSS. The pushes cycle
// through Sizes.MemoryDistinct manifests per repository, so what grows is
// the pending events, not the registry's storage metadata.
func (b *bencher) memory(ctx context.Context, subject string, n int, limit time.Duration) (Memory, error) {
	return b.memoryAt(ctx, subject, refusing(), n, limit)
}

// memoryAt is memory with the endpoint's profile given (nil: no endpoint).
func (b *bencher) memoryAt(ctx context.Context, subject string, profile *endpoint.Profile, n int, limit time.Duration) (Memory, error) {
	distinct := b.o.Sizes.MemoryDistinct
	fmt.Fprintf(b.log, "bench: %s: memory after up to %d pushes of %d distinct manifests per repository (bounded by %s), endpoint %s\n", subject, n, distinct, limit, orNone(profile))
	m := Memory{Subject: subject, Distinct: distinct}
	s, err := b.start(ctx, subject, profile)
	if err != nil {
		return m, err
	}
	defer s.close()
	t0 := time.Now()
	owed, res, err := b.pushManifests(ctx, s, n, distinct, limit)
	if err != nil {
		return m, err
	}
	m.Pending, m.Pushes, m.PushSeconds = owed, owed-res.Seeded, time.Since(t0).Seconds()
	mem, err := s.mem()
	if err != nil {
		return m, err
	}
	m.RSS, m.Mem = mem.VmRSS, mem
	m.RegistryPending = s.pending(ctx)
	if m.Pushes < n {
		m.Note = fmt.Sprintf("reduced: %d of %d pushed in the %s push limit", m.Pushes, n, limit)
	}
	if s.queue != "" {
		if fi, err := os.Stat(s.queue); err == nil {
			m.Note = joinNote(m.Note, fmt.Sprintf("queue file %s", MiB(fi.Size())))
		}
	}
	fmt.Fprintf(b.log, "bench: %s: %d pending, VmRSS %s\n", subject, owed, MiB(m.RSS))
	return m, nil
}

func joinNote(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// push measures manifest PUT throughput with no endpoint, a healthy one,
// or one that refuses every connection.
func (b *bencher) push(ctx context.Context, subject, state string) (Push, error) {
	fmt.Fprintf(b.log, "bench: %s: push throughput, endpoint %s\n", subject, state)
	p := Push{Subject: subject, Endpoint: state}
	var profile *endpoint.Profile // none: no endpoint configured
	switch state {
	case "healthy":
		profile = &endpoint.Profile{} // 200 at once
	case "dead":
		profile = refusing()
	}
	s, err := b.start(ctx, subject, profile)
	if err != nil {
		return p, err
	}
	defer s.close()
	return b.pushRate(ctx, s, p)
}

// pushRate pushes manifests for Sizes.PushDuration into a started setup.
func (b *bencher) pushRate(ctx context.Context, s *setup, p Push) (Push, error) {
	subject, state := p.Subject, p.Endpoint
	_, res, err := b.pushManifests(ctx, s, 10_000_000, 0, b.o.Sizes.PushDuration)
	if err != nil {
		return p, err
	}
	mt := res.Metrics
	ok := int(float64(mt.Requests)*mt.Success + 0.5)
	p.Requests, p.Errors = ok, int(mt.Requests)-ok
	p.Seconds = mt.Duration.Seconds()
	p.Rate = mt.Throughput
	fmt.Fprintf(b.log, "bench: %s/%s: %d PUTs, %.0f/s\n", subject, state, ok, p.Rate)
	return p, nil
}

// refusing is the profile of a dead receiver: every connection refused.
func refusing() *endpoint.Profile { return &endpoint.Profile{Refuse: true} }

func orNone(profile *endpoint.Profile) string {
	if profile == nil {
		return "none"
	}
	b, _ := json.Marshal(profile)
	return string(b)
}
