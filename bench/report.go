package bench

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Subjects measured, in table order.
const (
	Distribution = "distribution-v3"
	OursDefault  = "ours-default"
	OursExt      = "ours-extensions"
	// OursNoEndpoint is the memory control: ours after the same pushes
	// with no endpoint configured.
	OursNoEndpoint = "ours (no endpoint)"
)

// Report is everything one run measured (OUT/bench.json).
type Report struct {
	Started  time.Time      `json:"started"`
	Duration string         `json:"duration"`
	Machine  Machine        `json:"machine"`
	Command  string         `json:"command"`
	Sizes    Sizes          `json:"sizes"`
	Settings string         `json:"settings"` // the extensions' YAML
	Rate     []Drain        `json:"deliveryRate10ms"`
	Drain    []Drain        `json:"drain0ms"`
	Memory   []Memory       `json:"memory"`
	Push     []Push         `json:"push"`
	Storage  *StorageReport `json:"storage,omitempty"` // issue 17: stored manifests, restart, blob pushes
	Queue    *QueueReport   `json:"queue,omitempty"`   // issue 16: the shared (nats) queue against the disk queue
	Errors   []string       `json:"errors,omitempty"`  // measurements that could not run
}

// Machine facts printed beside the figures.
type Machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	MemTotal  string `json:"memTotal"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"goVersion"`
	Peer      string `json:"peer"` // Distribution binary and version
}

// Drain is one backlog delivered after an outage: N events pushed while
// the endpoint refused connections, then the endpoint came up.
type Drain struct {
	Subject     string  `json:"subject"`
	Latency     string  `json:"latency"` // receiver's per-request time
	Events      int     `json:"events"`  // owed to the endpoint (ledger)
	PushSeconds float64 `json:"pushSeconds"`
	RSSPending  int64   `json:"rssPendingBytes"` // registry VmRSS with all N pending
	MemPending  Mem     `json:"memPending"`
	// RegistryPending: the registry's Pending counter then (-1: not read).
	RegistryPending int `json:"registryPending"`
	// FirstSeconds: endpoint up -> first event delivered (retry backoff).
	FirstSeconds float64 `json:"firstSeconds"`
	// DrainSeconds: endpoint up -> every event delivered (or gave up).
	DrainSeconds float64 `json:"drainSeconds"`
	Delivered    int     `json:"delivered"`
	Complete     bool    `json:"complete"`
	Rate         float64 `json:"rate"` // events/s from the first delivery to the last
	// PendingZeroSeconds: endpoint up -> the registry's Pending read 0 on
	// /debug/vars (0: not read, e.g. Distribution).
	PendingZeroSeconds float64 `json:"pendingZeroSeconds,omitempty"`
}

// Memory is resident memory with Pending events queued.
type Memory struct {
	Subject string `json:"subject"`
	Pending int    `json:"pending"` // events owed (seeding included)
	// Pushes is the manifest PUTs answered 201 (the drain rows leave it 0).
	Pushes int `json:"pushes,omitempty"`
	// Distinct is how many manifests per repository the pushes cycled
	// through (0: every push a new manifest).
	Distinct int `json:"distinct,omitempty"`
	// RegistryPending is the registry's own Pending counter (/debug/vars)
	// when RSS was read; -1 when there is no endpoint or it could not be read.
	RegistryPending int     `json:"registryPending"`
	RSS             int64   `json:"rssBytes"` // VmRSS
	Mem             Mem     `json:"mem"`
	PushSeconds     float64 `json:"pushSeconds"`
	Note            string  `json:"note,omitempty"`
}

// Push is manifest PUT throughput with one endpoint in a state.
type Push struct {
	Subject  string  `json:"subject"`
	Endpoint string  `json:"endpoint"` // none, dead
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	Rate     float64 `json:"rate"` // successful PUTs/s
}

// Sizes are the run's knobs (how many events, how long at most).
type Sizes struct {
	RateEventsPeer   int           `json:"rateEventsPeer"`
	RateEventsExt    int           `json:"rateEventsExt"`
	DrainEvents      int           `json:"drainEvents"`
	DrainEventsPeer  int           `json:"drainEventsPeer"`
	MemoryEvents     int           `json:"memoryEvents"`
	MemoryDistinct   int           `json:"memoryDistinct"` // manifests per repository the memory pushes cycle through (0: all unique)
	MemoryPushLimit  time.Duration `json:"memoryPushLimit"`
	PushDuration     time.Duration `json:"pushDuration"`
	PushWorkers      int           `json:"pushWorkers"`
	Repositories     int           `json:"repositories"`
	DrainLimit       time.Duration `json:"drainLimit"`
	SkipPeerMemory   bool          `json:"skipPeerMemory,omitempty"`
	MemoryEventsPeer int           `json:"memoryEventsPeer,omitempty"` // 0: as many as ours reached
	QueueEvents      int           `json:"queueEvents,omitempty"`      // backlog per queue-section drain
}

// Ratio is a/b, NaN when b is not positive.
func Ratio(a, b float64) float64 {
	if b <= 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

func fmtRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", r)
}

// MiB formats bytes as mebibytes.
func MiB(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func find[T any](xs []T, subject func(T) string, name string) (T, bool) {
	for _, x := range xs {
		if subject(x) == name {
			return x, true
		}
	}
	var zero T
	return zero, false
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// Markdown renders the results table with ratios against Distribution and
// the targets of issue 8.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s (%s), `%s`\n\n", r.Started.UTC().Format(time.RFC3339), r.Duration, r.Command)
	m := r.Machine
	peer := ""
	if m.Peer != "" {
		peer = "; peer: " + m.Peer
	}
	fmt.Fprintf(&b, "Machine: %s, %d cores, %s RAM, Linux %s, %s%s\n\n", m.CPU, m.Cores, m.MemTotal, m.Kernel, m.GoVersion, peer)

	if len(r.Rate)+len(r.Drain)+len(r.Memory)+len(r.Push) > 0 {
		r.notificationsMarkdown(&b)
	}
	b.WriteString(r.storageMarkdown())
	b.WriteString(r.queueMarkdown())
	if len(r.Errors) > 0 {
		b.WriteString("\n### Could not measure\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}
	return b.String()
}

// notificationsMarkdown renders tables 1 to 4.
func (r *Report) notificationsMarkdown(b *strings.Builder) {
	drainSubject := func(d Drain) string { return d.Subject }
	b.WriteString("### 1. Delivery rate to a receiver taking 10 ms per request\n\n")
	b.WriteString("| registry | events | delivery rate (events/s) | vs Distribution | endpoint up -> all delivered |\n|---|---:|---:|---:|---:|\n")
	peer, hasPeer := find(r.Rate, drainSubject, Distribution)
	for _, d := range r.Rate {
		ratio := math.NaN()
		if hasPeer {
			ratio = Ratio(d.Rate, peer.Rate)
		}
		fmt.Fprintf(b, "| %s | %d%s | %.0f | %s | %.2f s |\n", d.Subject, d.Events, incomplete(d), d.Rate, fmtRatio(ratio), d.DrainSeconds)
	}
	if ext, ok := find(r.Rate, drainSubject, OursExt); ok && hasPeer {
		ratio := Ratio(ext.Rate, peer.Rate)
		fmt.Fprintf(b, "\nTarget >= 20x Distribution: %s (%s).\n", verdict(ratio >= 20), fmtRatio(ratio))
	}

	b.WriteString("\n### 2. Drain of a backlog after an outage, 0 ms receiver\n\n")
	b.WriteString("| registry | pending events | endpoint up -> all delivered | drain rate (events/s) | vs Distribution | time for 100,000 at that rate |\n|---|---:|---:|---:|---:|---:|\n")
	peer, hasPeer = find(r.Drain, drainSubject, Distribution)
	for _, d := range r.Drain {
		ratio := math.NaN()
		if hasPeer {
			ratio = Ratio(d.Rate, peer.Rate)
		}
		extra := "measured"
		if d.Events < 100_000 && d.Rate > 0 {
			extra = fmt.Sprintf("%.1f s (extrapolated)", 100_000/d.Rate)
		} else if d.Events >= 100_000 {
			extra = fmt.Sprintf("%.2f s (measured)", d.DrainSeconds)
		}
		fmt.Fprintf(b, "| %s | %d%s | %.2f s | %.0f | %s | %s |\n", d.Subject, d.Events, incomplete(d), d.DrainSeconds, d.Rate, fmtRatio(ratio), extra)
	}
	if ext, ok := find(r.Drain, drainSubject, OursExt); ok {
		if ext.Events >= 100_000 {
			fmt.Fprintf(b, "\nTarget 100,000 in < 10 s: %s (%.2f s).\n", verdict(ext.Complete && ext.DrainSeconds < 10), ext.DrainSeconds)
		} else {
			fmt.Fprintf(b, "\nTarget 100,000 in < 10 s: only %d events measured (reduced run).\n", ext.Events)
		}
	}

	b.WriteString("\n### 3. Resident memory (VmRSS) with events pending, endpoint refusing\n\n")
	b.WriteString(memoryWorkload(r) + "\n\n")
	b.WriteString("| registry | pending events (ledger) | registry's Pending | VmRSS | of which RssAnon (heap) | of which RssFile (mapped queue file) | VmRSS bytes per pending event | note |\n|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, mm := range r.Memory {
		per := "n/a"
		if mm.Pending > 0 && mm.RSS > 0 {
			per = fmt.Sprintf("%.0f", float64(mm.RSS)/float64(mm.Pending))
		}
		regPending := "-"
		if mm.RegistryPending >= 0 {
			regPending = fmt.Sprint(mm.RegistryPending)
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", mm.Subject, mm.Pending, regPending, MiB(mm.RSS), part(mm, mm.Mem.RssAnon), part(mm, mm.Mem.RssFile), per, mm.Note)
	}
	if mm, ok := largest(r.Memory, OursExt); ok {
		fmt.Fprintf(b, "\nTarget < 256 MiB at 1,000,000 pending (`queue: disk`): %s at %d pending (VmRSS %s, heap RssAnon %s)%s.\n",
			verdict(mm.RSS > 0 && mm.RSS < 256<<20), mm.Pending, MiB(mm.RSS), part(mm, mm.Mem.RssAnon), reducedNote(mm.Pending))
	}

	b.WriteString("\n### 4. Push throughput (manifest PUT by tag, concurrent), endpoint none, healthy or dead\n\n")
	b.WriteString("| registry | endpoint | PUTs | errors | PUTs/s | vs healthy | vs none |\n|---|---|---:|---:|---:|---:|---:|\n")
	pushSubject := func(p Push) string { return p.Subject + "/" + p.Endpoint }
	rel := func(p Push, state string) string {
		if p.Endpoint == state {
			return ""
		}
		if o, ok := find(r.Push, pushSubject, p.Subject+"/"+state); ok {
			return fmt.Sprintf("%+.1f%%", (Ratio(p.Rate, o.Rate)-1)*100)
		}
		return ""
	}
	for _, p := range r.Push {
		fmt.Fprintf(b, "| %s | %s | %d | %d | %.0f | %s | %s |\n", p.Subject, p.Endpoint, p.Requests, p.Errors, p.Rate, rel(p, "healthy"), rel(p, "none"))
	}
	b.WriteString("\n")
	for _, p := range r.Push {
		if p.Endpoint != "dead" {
			continue
		}
		if ok, found := find(r.Push, pushSubject, p.Subject+"/healthy"); found {
			drop := 1 - Ratio(p.Rate, ok.Rate)
			fmt.Fprintf(b, "- Target (%s): a dead endpoint costs no more than 5%% against a healthy one: %s (%+.1f%%).\n", p.Subject, verdict(drop <= 0.05), -drop*100)
		}
	}
}

// memoryWorkload says what the memory rows pushed.
func memoryWorkload(r *Report) string {
	s := r.Sizes
	n := fmt.Sprintf("up to %d", s.MemoryEvents)
	if mm, ok := largest(r.Memory, OursExt); ok && mm.Pushes > 0 {
		n = fmt.Sprint(mm.Pushes)
	}
	what := fmt.Sprintf("re-pushing %d distinct manifests per repository over %d repositories, so storage metadata stays constant", s.MemoryDistinct, s.Repositories)
	if s.MemoryDistinct <= 0 {
		what = fmt.Sprintf("each a new manifest, over %d repositories, so storage metadata grows with them", s.Repositories)
	}
	return fmt.Sprintf("Workload: %s pushes %s; the control row is the same pushes with no endpoint. "+
		"Rows noted \"before the 0 ms drain\" are the drain backlogs above (every push a new manifest).", n, what)
}

func incomplete(d Drain) string {
	if d.Complete {
		return ""
	}
	return fmt.Sprintf(" (only %d delivered before the limit)", d.Delivered)
}

func reducedNote(n int) string {
	if n >= 1_000_000 {
		return ""
	}
	return "; reduced count: pushing was bounded in time"
}

// largest is subject's memory figure with the most pending events.
func largest(ms []Memory, subject string) (Memory, bool) {
	var best Memory
	ok := false
	for _, m := range ms {
		if m.Subject == subject && (!ok || m.Pending > best.Pending) {
			best, ok = m, true
		}
	}
	return best, ok
}

// part formats one component of a measured VmRSS (0 is a real figure then).
func part(m Memory, v int64) string {
	if m.RSS <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20))
}
