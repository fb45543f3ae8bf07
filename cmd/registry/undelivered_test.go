package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/gomega"
	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/notifications"
)

// TestSIGTERMRecordsUndeliveredIDs: events a memory queue could not
// deliver before the drain deadline are not just counted: on SIGTERM they
// go to the dead-letter log where one is configured (replayable, same
// ids), and otherwise their ids are logged.
func TestSIGTERMRecordsUndeliveredIDs(t *testing.T) {
	for _, withFile := range []bool{true, false} {
		name := map[bool]string{true: "dead-letter log", false: "log"}[withFile]
		t.Run(name, func(t *testing.T) {
			g := gomega.NewWithT(t)
			var mu sync.Mutex
			var seen []string
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var env notifications.Envelope
				_ = json.NewDecoder(r.Body).Decode(&env)
				mu.Lock()
				for _, e := range env.Events {
					seen = append(seen, e.ID)
				}
				mu.Unlock()
				w.WriteHeader(http.StatusInternalServerError)
			}))
			defer rcv.Close()
			ids := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }

			addr := freePort(t)
			dir := t.TempDir()
			dead := filepath.Join(dir, "dead.jsonl")
			extra := ""
			if withFile {
				extra = "      retry:\n        maxattempts: 1000\n        backoff: 1h\n      deadletter:\n        path: " + dead + "\n"
			}
			yml := "version: 0.1\nlog:\n  level: info\n  formatter: json\nstorage:\n  inmemory:\nhttp:\n  addr: " + addr +
				"\n  draintimeout: 300ms\nnotifications:\n  endpoints:\n    - name: hook\n      url: " + rcv.URL +
				"/in?token=s3cr3t\n      threshold: 1\n      backoff: 1h\n" + extra
			path := filepath.Join(dir, "config.yml")
			if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "serve", path)
			cmd.Env = append(os.Environ(), "REGISTRY_TEST_BE_MAIN=1")
			var logs bytes.Buffer
			cmd.Stdout, cmd.Stderr = &logs, &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			t.Cleanup(func() { _ = cmd.Process.Kill() })

			blob := []byte("an undelivered event's blob")
			d := digest.FromBytes(blob)
			g.Eventually(func() int {
				resp, err := http.Post("http://"+addr+"/v2/r/blobs/uploads/?digest="+d.String(), "application/octet-stream", bytes.NewReader(blob))
				if err != nil {
					return 0
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode
			}).WithTimeout(10 * time.Second).Should(gomega.Equal(http.StatusCreated))
			g.Eventually(ids).WithTimeout(10 * time.Second).ShouldNot(gomega.BeEmpty())

			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				g.Expect(err).NotTo(gomega.HaveOccurred())
			case <-time.After(10 * time.Second):
				t.Fatal("registry did not exit after SIGTERM")
			}
			id := ids()[0]
			if withFile {
				f, err := os.Open(dead)
				g.Expect(err).NotTo(gomega.HaveOccurred())
				defer f.Close()
				recs, err := notifications.ReadDeadLetters(f)
				g.Expect(err).NotTo(gomega.HaveOccurred())
				g.Expect(recs).To(gomega.HaveLen(1))
				g.Expect(recs[0].Events).To(gomega.HaveLen(1))
				g.Expect(recs[0].Events[0].ID).To(gomega.Equal(id))
				g.Expect(recs[0].Events[0].Target.Digest).To(gomega.Equal(d))
				g.Expect(recs[0].URL).NotTo(gomega.ContainSubstring("s3cr3t"))
			} else {
				var found bool
				for _, line := range bytes.Split(logs.Bytes(), []byte("\n")) {
					var rec struct {
						Msg string   `json:"msg"`
						IDs []string `json:"ids"`
					}
					if json.Unmarshal(line, &rec) == nil && rec.Msg == "notifications: ids of undelivered events dropped at shutdown" {
						g.Expect(rec.IDs).To(gomega.Equal([]string{id}))
						found = true
					}
				}
				g.Expect(found).To(gomega.BeTrue(), "no log line with the ids:\n%s", logs.String())
			}
			g.Expect(logs.String()).NotTo(gomega.ContainSubstring("s3cr3t"))
		})
	}
}
