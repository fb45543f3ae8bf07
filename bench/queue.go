package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/servers"
)

// Queue kinds and settings the queue section measures (issue 16: the cost
// of the shared queue against the disk queue).
const (
	QueueDisk = "disk"
	QueueNATS = "nats"

	SettingDefault = "default" // one event per POST, one partition
	SettingBatched = "batched" // ExtensionsYAML's batch, concurrency and retry
)

// natsNodes is the shared queue's cluster: 3 nodes, so the stream is R3.
const natsNodes = 3

// QueueRun is one registry (process) with one endpoint on one queue kind:
// push throughput with a 0 ms receiver up, then a backlog drained.
type QueueRun struct {
	Queue   string `json:"queue"`   // disk or nats
	Setting string `json:"setting"` // default or batched
	Push    Push   `json:"push"`
	Drain   Drain  `json:"drain"`
}

// QueueReport is the queue section (OUT/bench.json "queue").
type QueueReport struct {
	Events int        `json:"events"` // backlog per drain
	Nodes  int        `json:"natsNodes"`
	NATS   string     `json:"natsVersion"`
	Runs   []QueueRun `json:"runs"`
}

// QueueRatio is nats/disk for one setting; NaN where a side is missing.
type QueueRatio struct {
	Setting string
	Push    float64 // PUTs/s, receiver up
	Accept  float64 // backlog PUTs/s, receiver refusing
	Drain   float64 // events/s
}

// acceptRate is the backlog's push rate (PUTs/s, seeding included) while
// the receiver refused: accepting with no delivery competing for the CPU.
func acceptRate(d Drain) float64 {
	if d.PushSeconds <= 0 {
		return math.NaN()
	}
	return float64(d.Events) / d.PushSeconds
}

// Ratios pairs each setting's nats run with its disk run, in the order the
// settings first appear.
func (q *QueueReport) Ratios() []QueueRatio {
	var out []QueueRatio
	for _, r := range q.Runs {
		if slices.ContainsFunc(out, func(o QueueRatio) bool { return o.Setting == r.Setting }) {
			continue
		}
		disk, okD := q.run(QueueDisk, r.Setting)
		nats, okN := q.run(QueueNATS, r.Setting)
		qr := QueueRatio{Setting: r.Setting, Push: math.NaN(), Accept: math.NaN(), Drain: math.NaN()}
		if okD && okN {
			qr.Push = Ratio(nats.Push.Rate, disk.Push.Rate)
			qr.Accept = Ratio(acceptRate(nats.Drain), acceptRate(disk.Drain))
			qr.Drain = Ratio(nats.Drain.Rate, disk.Drain.Rate)
		}
		out = append(out, qr)
	}
	return out
}

func (q *QueueReport) run(queue, setting string) (QueueRun, bool) {
	for _, r := range q.Runs {
		if r.Queue == queue && r.Setting == setting {
			return r, true
		}
	}
	return QueueRun{}, false
}

// queueYAML is the endpoint's settings under notifications.endpoints[]:
// the same batch, concurrency and retry for both kinds, only queue differs.
// natsURLs and stream are used for nats; each nats run gets its own stream
// and subject prefix, since streams on one cluster may not share subjects.
func queueYAML(kind, setting, diskPath string, natsURLs []string, stream string) string {
	var b strings.Builder
	if setting == SettingBatched {
		b.WriteString("      batch:\n        maxevents: 500\n        maxwait: 20ms\n      concurrency: 16\n")
		b.WriteString("      retry:\n        backoff: 50ms\n        maxbackoff: 250ms\n")
	}
	switch kind {
	case QueueDisk:
		fmt.Fprintf(&b, "      queue:\n        kind: disk\n        path: %q\n", diskPath)
	case QueueNATS:
		quoted := make([]string, len(natsURLs))
		for i, u := range natsURLs {
			quoted[i] = fmt.Sprintf("%q", u)
		}
		fmt.Fprintf(&b, "      queue:\n        kind: nats\n        nats:\n          urls: [%s]\n          stream: %s\n          subjectprefix: %s\n          replicas: %d\n",
			strings.Join(quoted, ", "), stream, strings.ToLower(stream), natsNodes)
	}
	return b.String()
}

// queue measures both queue kinds with the same settings, against one
// 3-node JetStream cluster on loopback started for the section.
func (b *bencher) queue(ctx context.Context, fail func(string, error)) *QueueReport {
	n := b.o.Sizes.QueueEvents
	if n <= 0 {
		n = DefaultSizes().QueueEvents
	}
	rep := &QueueReport{Events: n, Nodes: natsNodes, NATS: servers.NATSVersion}
	bin, err := servers.NATSServer(ctx)
	if err != nil {
		fail("queue: nats-server", err)
		return rep
	}
	dir, err := os.MkdirTemp(b.o.WorkDir, "bench-nats-")
	if err != nil {
		fail("queue: nats cluster", err)
		return rep
	}
	defer os.RemoveAll(dir)
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	cluster, err := servers.StartNATSCluster(startCtx, bin, dir, natsNodes)
	cancel()
	if err != nil {
		fail("queue: nats cluster", err)
		return rep
	}
	defer cluster.Close()
	fmt.Fprintf(b.log, "bench: queue: nats-server %s cluster of %d on %s\n", servers.NATSVersion, natsNodes, strings.Join(cluster.URLs(), ","))

	streams := 0
	for _, setting := range []string{SettingDefault, SettingBatched} {
		for _, kind := range []string{QueueDisk, QueueNATS} {
			subject := fmt.Sprintf("queue: %s (%s)", kind, setting)
			render := func(epURL, diskPath string) string {
				streams++
				stream := fmt.Sprintf("BENCH_%d", streams)
				return configTemplate(OursDefault, epURL, "") + queueYAML(kind, setting, diskPath, cluster.URLs(), stream)
			}
			r := QueueRun{Queue: kind, Setting: setting}
			var err error
			r.Push, err = b.queuePush(ctx, subject, kind == QueueDisk, render)
			if err != nil {
				fail("push "+subject, err)
			}
			r.Drain, err = b.queueDrain(ctx, subject, n, kind == QueueDisk, render)
			if err != nil {
				fail("drain "+subject, err)
			}
			rep.Runs = append(rep.Runs, r)
		}
	}
	return rep
}

func (b *bencher) queuePush(ctx context.Context, subject string, disk bool, render func(string, string) string) (Push, error) {
	fmt.Fprintf(b.log, "bench: %s: push throughput, 0 ms receiver\n", subject)
	p := Push{Subject: subject, Endpoint: "healthy"}
	s, err := b.startConfig(ctx, subject, &endpoint.Profile{}, disk, render)
	if err != nil {
		return p, err
	}
	defer s.close()
	return b.pushRate(ctx, s, p)
}

func (b *bencher) queueDrain(ctx context.Context, subject string, n int, disk bool, render func(string, string) string) (Drain, error) {
	fmt.Fprintf(b.log, "bench: %s: backlog of %d events, then a 0 ms receiver\n", subject, n)
	d := Drain{Subject: subject, Latency: "0ms"}
	s, err := b.startConfig(ctx, subject, refusing(), disk, render)
	if err != nil {
		return d, err
	}
	defer s.close()
	return b.drainBacklog(ctx, s, d, n, "0ms")
}

// queueMarkdown renders the queue section: every run, then nats/disk.
func (r *Report) queueMarkdown() string {
	q := r.Queue
	if q == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n### 7. Shared queue (NATS JetStream) vs disk queue\n\n")
	fmt.Fprintf(&b, "Our registry (process) with one endpoint and a 0 ms receiver; `queue: nats` on a %d-node nats-server %s cluster on loopback (stream R%d), `queue: disk` on the local bbolt file. "+
		"Push: manifest PUTs by %d clients for %s with the receiver up. Drain: a backlog of %d events pushed while the receiver refused connections, then the receiver up. "+
		"`batched` is batch 500 / 20 ms, concurrency 16 (for nats, 16 partitions); `default` is one event per POST, one at a time.\n\n",
		q.Nodes, q.NATS, q.Nodes, r.Sizes.PushWorkers, r.Sizes.PushDuration, q.Events)
	b.WriteString("| setting | queue | PUTs (receiver up) | errors | PUTs/s (receiver up) | backlog | backlog PUTs/s (receiver refusing) | up -> all delivered | up -> registry's Pending 0 | drain (events/s) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, run := range q.Runs {
		pz := "-"
		if run.Drain.PendingZeroSeconds > 0 {
			pz = fmt.Sprintf("%.2f s", run.Drain.PendingZeroSeconds)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %.0f | %d%s | %.0f | %.2f s | %s | %.0f |\n", run.Setting, run.Queue, run.Push.Requests, run.Push.Errors, run.Push.Rate,
			run.Drain.Events, incomplete(run.Drain), acceptRate(run.Drain), run.Drain.DrainSeconds, pz, run.Drain.Rate)
	}
	b.WriteString("\n| setting | push nats/disk (receiver up) | push nats/disk (receiver refusing) | drain nats/disk |\n|---|---:|---:|---:|\n")
	for _, qr := range q.Ratios() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", qr.Setting, fmtRatio(qr.Push), fmtRatio(qr.Accept), fmtRatio(qr.Drain))
	}
	b.WriteString("\nA nats push includes publishing the event with ack to the R3 stream (JetStream answers once a quorum of the 3 nodes stored it) before the 201; " +
		"a disk push includes the bbolt commit. With the receiver up, the same 2 cores also run the delivery workers (for nats, a fetch, purge and ack per batch), so that push figure includes delivery's CPU; the backlog push (receiver refusing) is accepting alone. A nats delivery includes fetching the partition's head from its durable consumer, the POST, and the purge and ack round trips.\n")
	return b.String()
}
