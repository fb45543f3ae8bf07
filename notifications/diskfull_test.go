package notifications

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// TestDiskQueueOnFullFilesystem: a real full disk (a 256 KiB tmpfs made by
// the test) fails NotifyStored with ENOSPC instead of dropping the event,
// counts only the events stored, and keeps delivering those once the
// receiver is back. Needs root to mount; TestDiskQueueWriteFailureFailsNotifyStored
// covers the same path with an injected failure everywhere.
func TestDiskQueueOnFullFilesystem(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); the injected-failure test covers this path", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	g := gomega.NewWithT(t)
	var up atomic.Bool
	rc := newReceiver(t, func(int, *http.Request) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	n := newNotifier(t, withDelivery(oneEndpoint(EndpointConfig{URL: rc.url(), Threshold: 1, Backoff: backoff}), "test", Delivery{Queue: Queue{Kind: "disk", Path: filepath.Join(dir, "q.db")}}))

	big := strings.Repeat("r", 2000) // a long repository name makes each event about 2.5 KB
	stored := 0
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		a := blobPush(big, i)
		if err = n.NotifyStored(context.Background(), a); err == nil {
			stored++
		}
	}
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("no space left on device")))
	t.Logf("%d events stored before: %v", stored, err)
	g.Expect(stored).To(gomega.BeNumerically(">", 0))
	g.Expect(n.Metrics()["test"].Events).To(gomega.Equal(stored), "only stored events are accepted")

	up.Store(true)
	g.Eventually(func() int { return n.Metrics()["test"].Successes }).WithTimeout(20 * time.Second).Should(gomega.Equal(stored))
	g.Expect(n.Metrics()["test"].Pending).To(gomega.BeZero())
	_, statErr := os.Stat(filepath.Join(dir, "q.db"))
	g.Expect(statErr).NotTo(gomega.HaveOccurred())
}

// TestDeadLetterOnFullFilesystem: a dead-letter log on a full tmpfs cannot
// take the given-up event, so it stays queued; once space is freed it is
// written there and leaves the queue.
func TestDeadLetterOnFullFilesystem(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); TestDeadLetterWriteFailureKeepsEvent covers this path", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	g := gomega.NewWithT(t)
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	chunk := make([]byte, 4096)
	for i := 0; i < 1000; i++ {
		if _, err = f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("no space left on device")))

	rc := newReceiver(t, always(http.StatusBadRequest))
	path := filepath.Join(dir, "dead.jsonl")
	n := newNotifier(t, withDelivery(oneEndpoint(EndpointConfig{URL: rc.url()}), "test", Delivery{Retry: Retry{Backoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond}, DeadLetter: DeadLetter{Path: path, On4xx: true}}))
	n.Notify(context.Background(), blobPush("test/repo", 1))
	g.Eventually(func() int { return len(rc.seen()) }).Should(gomega.BeNumerically(">=", 3), "given up on, not written, retried")
	m := n.Metrics()["test"]
	g.Expect(m.Pending).To(gomega.Equal(1))
	g.Expect(m.DeadLettered).To(gomega.BeZero())

	g.Expect(os.Remove(filler)).To(gomega.Succeed())
	g.Eventually(func() int { return n.Metrics()["test"].DeadLettered }).Should(gomega.Equal(1))
	g.Expect(n.Metrics()["test"].Pending).To(gomega.BeZero())
	recs := readDeadLetters(t, path)
	g.Expect(recs).To(gomega.HaveLen(1))
	g.Expect(recs[0].Events[0].ID).To(gomega.Equal(rc.ids()[0]))
}
