package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/onsi/gomega"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the harness program: with this variable set
// it runs main with its arguments, so that a test can signal a real
// process without building one.
const asHarness = "HOOKBENCH_TEST_AS_HARNESS"

func TestMain(m *testing.M) {
	if os.Getenv(asHarness) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func harnessCmd(t *testing.T, args ...string) (*exec.Cmd, *lockedBuffer, *lockedBuffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), asHarness+"=1")
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// poll awaits cond, bounded by d.
func poll(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	gomega.NewWithT(t).Eventually(cond, d, 20*time.Millisecond).Should(gomega.BeTrue(), what)
}

func exitCode(t *testing.T, cmd *exec.Cmd, d time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(d):
		_ = cmd.Process.Kill()
		t.Fatalf("still running %s after the signal", d)
	}
	return -1
}

// Ctrl-C mid-load: the load stops, the drain is brief, the partial
// reports say "interrupted", and the exit status is 130.
func TestInterruptWritesPartialReportsAndExits130(t *testing.T) {
	dir := t.TempDir()
	cmd, _, stderr := harnessCmd(t, "run", "smoke", "--count", "100000", "--rate", "100", "--out", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	poll(t, 60*time.Second, "the load under way (a progress line on stderr)", func() bool { return strings.Contains(stderr.String(), " load  hits ") })
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report.json")
	poll(t, 30*time.Second, "report.json written", func() bool { _, err := os.Stat(report); return err == nil })
	if code := exitCode(t, cmd, 30*time.Second); code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, stderr.String())
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Verdict  string   `json:"verdict"`
		Notes    []string `json:"notes"`
		Duration string   `json:"duration"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Verdict != "interrupted" || !strings.Contains(strings.Join(doc.Notes, " "), "interrupted") {
		t.Fatalf("verdict %q, notes %q", doc.Verdict, doc.Notes)
	}
	// 100,000 hits at 100/s would take over 16 minutes: it stopped early.
	if d, err := time.ParseDuration(doc.Duration); err != nil || d > time.Minute {
		t.Fatalf("duration %q (%v)", doc.Duration, err)
	}
	for _, f := range []string{"report.txt", "report.html", "events.json.gz"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("partial reports: %v", err)
		}
	}
}

// --json: stdout is the summary and nothing else; progress and the table
// go to stderr.
func TestJSONStdoutIsOnlyTheSummary(t *testing.T) {
	cmd, stdout, stderr := harnessCmd(t, "run", "smoke", "--json")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd, 2*time.Minute); code != exitPass {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	dec := json.NewDecoder(strings.NewReader(stdout.String()))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout.String())
	}
	if dec.More() {
		t.Fatalf("stdout has more than the summary:\n%s", stdout.String())
	}
	if doc["verdict"] != "pass" || doc["scenario"] != "smoke" {
		t.Fatalf("summary: verdict %v scenario %v", doc["verdict"], doc["scenario"])
	}
	if _, ok := doc["detail"]; ok {
		t.Fatalf("--json without --detail carries per-event detail")
	}
	if !strings.Contains(stderr.String(), "scenario smoke (inprocess runtime): PASS") || !strings.Contains(stderr.String(), " hits ") {
		t.Fatalf("table and progress belong on stderr:\n%s", stderr.String())
	}
}
