package notifications

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/gomega"
	bolt "go.etcd.io/bbolt"
)

func diskDelivery(path string) Delivery { return Delivery{Queue: Queue{Kind: "disk", Path: path}} }

// TestDiskQueueSurvivesRestart: events pending when the registry stops
// are kept (not reported dropped) and delivered after the next start with
// their original ids, in order.
func TestDiskQueueSurvivesRestart(t *testing.T) {
	for _, conc := range []int{1, 3} {
		t.Run("concurrency "+string(rune('0'+conc)), func(t *testing.T) {
			g := gomega.NewWithT(t)
			path := filepath.Join(t.TempDir(), "queue.db")
			d := diskDelivery(path)
			d.Concurrency = conc
			dead := EndpointConfig{Name: "test", URL: "http://" + freeAddr(t) + "/", Threshold: 1, Backoff: forever}
			first, err := New(delivering(oneEndpoint(dead), d), WithLogger(discardLogger()))
			g.Expect(err).NotTo(gomega.HaveOccurred())
			for i := range 6 {
				first.Notify(context.Background(), blobPush("repo"+string(rune('a'+i%2)), i))
			}
			g.Expect(first.Metrics()["test"].Pending).To(gomega.Equal(6))
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			g.Expect(first.Shutdown(ctx)).To(gomega.Equal(map[string]int{"test": 0}), "kept on disk, not dropped")

			rc := newReceiver(t, always(http.StatusOK))
			second := newNotifier(t, oneEndpoint(EndpointConfig{Name: "test", URL: rc.url(), Delivery: d}))
			g.Eventually(metricsOf(second, "test")).Should(gomega.Equal(EndpointMetrics{
				Events: 6, Successes: 6, Statuses: map[string]int{"200 OK": 6},
			}))
			ids := rc.ids()
			g.Expect(ids).To(gomega.HaveLen(6))
			byRepo := map[string][]string{}
			for _, a := range rc.seen() {
				var env Envelope
				g.Expect(jsonUnmarshal(a.body, &env)).To(gomega.Succeed())
				byRepo[env.Events[0].Target.Repository] = append(byRepo[env.Events[0].Target.Repository], env.Events[0].ID)
			}
			for repo, ids := range byRepo {
				for i := 1; i < len(ids); i++ {
					g.Expect(ids[i-1] < ids[i]).To(gomega.BeTrue(), "%s in order: %v", repo, ids)
				}
			}
		})
	}
}

// TestDiskQueueRemovesDelivered: delivered entries leave the file, in
// batches and one by one (more events than maxUnremoved, so delivery has
// to wait for removal commits on the way).
func TestDiskQueueRemovesDelivered(t *testing.T) {
	for _, tc := range []struct {
		batch, events int
	}{{10, 50}, {1, 2*maxUnremoved + 88}} {
		t.Run(fmt.Sprintf("batch %d", tc.batch), func(t *testing.T) {
			g := gomega.NewWithT(t)
			path := filepath.Join(t.TempDir(), "queue.db")
			rc := newReceiver(t, always(http.StatusOK))
			n, err := New(oneEndpoint(EndpointConfig{URL: rc.url(), Delivery: Delivery{Queue: Queue{Kind: "disk", Path: path}, Batch: Batch{MaxEvents: tc.batch}}}), WithLogger(discardLogger()))
			g.Expect(err).NotTo(gomega.HaveOccurred())
			for i := range tc.events {
				n.Notify(context.Background(), blobPush("r", i))
			}
			g.Eventually(func() int { return n.Metrics()["test"].Successes }).Should(gomega.Equal(tc.events))
			g.Expect(n.Shutdown(context.Background())).To(gomega.Equal(map[string]int{"test": 0}))
			g.Expect(rc.ids()).To(gomega.HaveLen(tc.events), "each delivered once")

			db, err := bolt.Open(path, 0o600, nil)
			g.Expect(err).NotTo(gomega.HaveOccurred())
			defer db.Close()
			g.Expect(db.View(func(tx *bolt.Tx) error {
				g.Expect(tx.Bucket([]byte("events")).Stats().KeyN).To(gomega.BeZero())
				return nil
			})).To(gomega.Succeed())
		})
	}
}

// TestDiskQueueDamagedEntries: an entry that cannot be read is moved
// aside and reported; the intact ones around it are delivered.
func TestDiskQueueDamagedEntries(t *testing.T) {
	g := gomega.NewWithT(t)
	path := filepath.Join(t.TempDir(), "queue.db")
	db, err := bolt.Open(path, 0o600, nil)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("events"))
		g.Expect(err).NotTo(gomega.HaveOccurred())
		g.Expect(b.Put(seqKey(1), []byte(`{"id":"one","action":"push"}`))).To(gomega.Succeed())
		g.Expect(b.Put(seqKey(2), []byte(`{"id":"tw`))).To(gomega.Succeed())
		g.Expect(b.Put(seqKey(3), []byte(`{"id":"three","action":"push"}`))).To(gomega.Succeed())
		return nil
	})).To(gomega.Succeed())
	g.Expect(db.Close()).To(gomega.Succeed())

	logs := &logBuffer{}
	rc := newReceiver(t, always(http.StatusOK))
	newNotifier(t, oneEndpoint(EndpointConfig{URL: rc.url(), Delivery: diskDelivery(path)}), WithLogger(logs.logger()))
	g.Eventually(func() []string { return rc.ids() }).Should(gomega.Equal([]string{"one", "three"}))
	g.Expect(logs.lines("could not be read")).To(gomega.ConsistOf(gomega.ContainSubstring("0000000000000002")))
}

func TestDiskQueueConfigErrors(t *testing.T) {
	g := gomega.NewWithT(t)
	cfg := oneEndpoint(EndpointConfig{URL: "http://x/"})
	setting := func(err error) string {
		var epErr *EndpointError
		if !errors.As(err, &epErr) {
			return fmt.Sprintf("not an *EndpointError: %v", err)
		}
		return epErr.Setting
	}
	_, err := New(delivering(cfg, Delivery{Queue: Queue{Kind: "tape"}}))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring(`unknown queue "tape"`)))
	g.Expect(setting(err)).To(gomega.Equal("Queue.Kind"))
	// a missing folder is created; one that cannot be is an error naming the setting
	n := newNotifier(t, delivering(cfg, diskDelivery(filepath.Join(t.TempDir(), "new", "dir", "q.db"))))
	g.Expect(n.Metrics()).To(gomega.HaveKey("test"))
	file := filepath.Join(t.TempDir(), "file")
	g.Expect(os.WriteFile(file, nil, 0o600)).To(gomega.Succeed())
	_, err = New(delivering(cfg, diskDelivery(filepath.Join(file, "dir", "q.db"))))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("creating the folder of " + file)))
	g.Expect(setting(err)).To(gomega.Equal("Queue.Path"))

	// a file held by another Notifier is refused, not waited on forever
	path := filepath.Join(t.TempDir(), "q.db")
	newNotifier(t, delivering(cfg, diskDelivery(path)))
	_, err = New(delivering(cfg, diskDelivery(path)))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("in use by another process")))
}

// TestDiskQueueConcurrencyChangeRefused: events written under one
// concurrency are not stranded by starting with another.
func TestDiskQueueConcurrencyChangeRefused(t *testing.T) {
	g := gomega.NewWithT(t)
	path := filepath.Join(t.TempDir(), "queue.db")
	d := diskDelivery(path)
	d.Concurrency = 2
	cfg := oneEndpoint(EndpointConfig{URL: "http://" + freeAddr(t) + "/", Threshold: 1, Backoff: forever})
	n, err := New(delivering(cfg, d), WithLogger(discardLogger()))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	n.Notify(context.Background(), blobPush("r", 1))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	n.Shutdown(ctx)

	_, err = New(delivering(cfg, diskDelivery(path)), WithLogger(discardLogger()))
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("written with another concurrency")))
}

// TestDiskQueueSurvivesKill9 runs a child process that accepts events
// into a disk queue (endpoint down) and is then killed with SIGKILL; a
// new Notifier on the same file delivers every accepted event.
func TestDiskQueueSurvivesKill9(t *testing.T) {
	if path := os.Getenv("NOTIFICATIONS_KILL9_CHILD"); path != "" {
		kill9Child(path)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	g := gomega.NewWithT(t)
	path := filepath.Join(t.TempDir(), "queue.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskQueueSurvivesKill9$")
	cmd.Env = append(os.Environ(), "NOTIFICATIONS_KILL9_CHILD="+path)
	out, err := cmd.StdoutPipe()
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(cmd.Start()).To(gomega.Succeed())
	defer cmd.Process.Kill()
	watchdog := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() }) // a stuck child fails the test, not the run
	defer watchdog.Stop()

	// The child prints each event's request id once Notify has returned.
	var accepted []string
	sc := bufio.NewScanner(out)
	for len(accepted) < kill9Events && sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "accepted "); ok {
			accepted = append(accepted, id)
		}
	}
	g.Expect(accepted).To(gomega.HaveLen(kill9Events))
	g.Expect(cmd.Process.Signal(syscall.SIGKILL)).To(gomega.Succeed())
	_ = cmd.Wait()

	rc := newReceiver(t, always(http.StatusOK))
	n := newNotifier(t, oneEndpoint(EndpointConfig{Name: "test", URL: rc.url(), Delivery: diskDelivery(path)}))
	g.Eventually(func() int { return n.Metrics()["test"].Successes }, 10*time.Second).Should(gomega.BeNumerically(">=", kill9Events))
	var delivered []string
	for _, a := range rc.seen() {
		var env Envelope
		g.Expect(jsonUnmarshal(a.body, &env)).To(gomega.Succeed())
		for _, e := range env.Events {
			delivered = append(delivered, e.Request.ID)
		}
	}
	g.Expect(delivered).To(gomega.ContainElements(accepted), "every accepted event delivered after kill -9")
	g.Expect(n.Metrics()["test"].Pending).To(gomega.BeZero())
}

const kill9Events = 200

func kill9Child(path string) {
	n, err := New(oneEndpoint(EndpointConfig{Name: "test", URL: "http://127.0.0.1:1/", Threshold: 1, Backoff: time.Hour, Delivery: diskDelivery(path)}),
		WithLogger(discardLogger()))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := range 4 { // concurrent requests share group commits
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < kill9Events; i += 4 {
				a := blobPush("r", i)
				a.Request.ID = fmt.Sprint(i)
				n.Notify(context.Background(), a)
				mu.Lock()
				fmt.Println("accepted", a.Request.ID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	select {} // wait for SIGKILL
}

// TestReleaseMappedDropsQueuePages: after a read of the whole file its
// pages are resident in this process; releaseMapped takes them out of the
// process's RSS (they stay readable: a second read still sees every entry).
func TestReleaseMappedDropsQueuePages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("releaseMapped acts on Linux only")
	}
	g := gomega.NewWithT(t)
	path := filepath.Join(t.TempDir(), "queue.db")
	db, err := openQueueDB(path)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	defer db.Close()
	val := []byte(strings.Repeat("x", 900))
	g.Expect(db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("events"))
		if err != nil {
			return err
		}
		for i := range 8000 {
			if err := b.Put(seqKey(uint64(i)), val); err != nil {
				return err
			}
		}
		return nil
	})).To(gomega.Succeed())
	readAll := func() (n int) {
		g.Expect(db.View(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("events")).ForEach(func(_, v []byte) error {
				n++
				return nil
			})
		})).To(gomega.Succeed())
		return n
	}
	g.Expect(readAll()).To(gomega.Equal(8000))
	g.Expect(mappedRSS(t, path)).To(gomega.BeNumerically(">", 4<<20), "the read left the file's pages resident")
	g.Expect(releaseMapped(db)).To(gomega.Succeed())
	g.Expect(mappedRSS(t, path)).To(gomega.BeNumerically("<", 64<<10))
	g.Expect(readAll()).To(gomega.Equal(8000))
}

// mappedRSS sums the Rss of this process's mappings of path, from
// /proc/self/smaps.
func mappedRSS(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var total int64
	mine := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":"):
			mine = len(fields) >= 6 && fields[5] == path
		case mine && len(fields) == 3 && fields[0] == "Rss:":
			var kb int64
			fmt.Sscan(fields[1], &kb)
			total += kb << 10
		}
	}
	return total
}
