package bench

import (
	"math"
	"strings"
	"testing"

	"github.com/hookbench/hookbench/config"
)

func queueRun(queue, setting string, push, drain float64) QueueRun {
	return QueueRun{Queue: queue, Setting: setting,
		Push:  Push{Subject: queue, Endpoint: "healthy", Requests: 100, Rate: push},
		Drain: Drain{Subject: queue, Events: 1000, PushSeconds: 1000 / push, Delivered: 1000, Complete: true, Rate: drain, DrainSeconds: 1, PendingZeroSeconds: 1.5}}
}

// TestQueueRatios: each setting's nats run is divided by its disk run of
// the same setting, whatever the order; a setting missing a side is NaN.
func TestQueueRatios(t *testing.T) {
	q := &QueueReport{Runs: []QueueRun{
		queueRun(QueueNATS, SettingDefault, 500, 100),
		queueRun(QueueDisk, SettingBatched, 4000, 40000),
		queueRun(QueueDisk, SettingDefault, 2000, 1000),
		queueRun(QueueNATS, SettingBatched, 1000, 10000),
		queueRun(QueueDisk, "lonely", 1, 1),
	}}
	got := q.Ratios()
	if len(got) != 3 {
		t.Fatalf("Ratios() = %+v, want 3 settings", got)
	}
	want := []QueueRatio{{SettingDefault, 0.25, 0.25, 0.1}, {SettingBatched, 0.25, 0.25, 0.25}}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("Ratios()[%d] = %+v, want %+v", i, got[i], w)
		}
	}
	if l := got[2]; l.Setting != "lonely" || !math.IsNaN(l.Push) || !math.IsNaN(l.Accept) || !math.IsNaN(l.Drain) {
		t.Errorf("a setting without a nats run: %+v, want NaN ratios", l)
	}
}

// TestQueueMarkdown: the section lists every run and the ratio table, and
// a report without the section renders none of it.
func TestQueueMarkdown(t *testing.T) {
	r := &Report{Sizes: DefaultSizes(), Queue: &QueueReport{Events: 1000, Nodes: 3, NATS: "v2", Runs: []QueueRun{
		queueRun(QueueDisk, SettingDefault, 2000, 1000),
		queueRun(QueueNATS, SettingDefault, 500, 100),
	}}}
	md := r.Markdown()
	for _, want := range []string{
		"### 7. Shared queue (NATS JetStream) vs disk queue",
		"| default | nats | 100 | 0 | 500 | 1000 | 500 | 1.00 s | 1.50 s | 100 |",
		"| default | 0.25x | 0.25x | 0.10x |",
		"publishing the event with ack to the R3 stream",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md)
		}
	}
	if strings.Contains(md, "### 1.") {
		t.Error("a queue-only report renders the notifications tables")
	}
	if (&Report{}).queueMarkdown() != "" {
		t.Error("a report without queue figures renders a queue section")
	}
}

// TestQueueYAML: both kinds get the same endpoint settings and parse as a
// config; only the queue differs.
func TestQueueYAML(t *testing.T) {
	for _, setting := range []string{SettingDefault, SettingBatched} {
		disk := queueYAML(QueueDisk, setting, "/tmp/q/queue.db", nil, "")
		nats := queueYAML(QueueNATS, setting, "", []string{"nats://127.0.0.1:1", "nats://127.0.0.1:2"}, "BENCH_1")
		if a, b := disk[:strings.Index(disk, "      queue:")], nats[:strings.Index(nats, "      queue:")]; a != b {
			t.Errorf("%s: settings differ:\n%s\n---\n%s", setting, a, b)
		}
		for _, y := range []string{disk, nats} {
			doc := "version: 0.1\nstorage:\n  inmemory: {}\nnotifications:\n  endpoints:\n    - name: bench\n      url: http://127.0.0.1:9/\n" + y
			cfg, _, err := config.Parse([]byte(doc), nil)
			if err != nil {
				t.Fatalf("%s: %v\n%s", setting, err, doc)
			}
			ep := cfg.Notifications.Endpoints[0]
			if setting == SettingBatched && ep.Concurrency != 16 {
				t.Errorf("%s: concurrency %d, want 16", setting, ep.Concurrency)
			}
			if ep.Queue.Kind == QueueNATS && (len(ep.Queue.NATS.URLs) != 2 || ep.Queue.NATS.Stream != "BENCH_1" || ep.Queue.NATS.Replicas != 3) {
				t.Errorf("%s: nats queue %+v", setting, *ep.Queue.NATS)
			}
		}
	}
}
