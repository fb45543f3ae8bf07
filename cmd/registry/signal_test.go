package main

import (
	"bytes"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// TestMain lets the test binary act as the registry program, so the
// signal test can run it as a child process.
func TestMain(m *testing.M) {
	if os.Getenv("REGISTRY_TEST_BE_MAIN") == "1" {
		os.Args = append([]string{"registry"}, os.Args[1:]...)
		main()
		return
	}
	os.Exit(m.Run())
}

// A SIGTERM while an upload is in flight lets it finish, then the process
// exits 0.
func TestSIGTERMDrainsInFlight(t *testing.T) {
	addr := freePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yml")
	yml := "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: " + filepath.Join(dir, "data") +
		"\nhttp:\n  addr: " + addr + "\n  draintimeout: 5s\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "serve", path)
	cmd.Env = append(os.Environ(), "REGISTRY_TEST_BE_MAIN=1")
	logs, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	g := gomega.NewWithT(t)
	dial := func() error {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	}
	g.Eventually(dial).WithTimeout(10*time.Second).Should(gomega.Succeed(), "registry did not start")

	// A streamed PATCH whose first bytes have reached the upload file on
	// disk is certainly being handled. The driver writes bodies in chunks
	// of up to 512 KiB, so the first part is larger than one.
	resp, err := http.Post("http://"+addr+"/v2/sig/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, id := resp.Header.Get("Location"), resp.Header.Get("Docker-Upload-UUID")
	if resp.StatusCode != 202 || loc == "" || id == "" {
		t.Fatalf("POST: %d %q %q", resp.StatusCode, loc, id)
	}
	if loc[0] == '/' {
		loc = "http://" + addr + loc
	}
	first := 2 << 20
	blob := append(bytes.Repeat([]byte{'x'}, first), "uploaded across a SIGTERM"...)
	pr, pw := io.Pipe()
	answered := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("PATCH", loc, pr)
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- -1
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	_, _ = pw.Write(blob[:first])
	g.Eventually(func() int64 { return uploadSize(filepath.Join(dir, "data"), id) }).
		WithTimeout(10*time.Second).Should(gomega.BeNumerically(">=", 1<<20), "first bytes never reached the upload file")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Wait until the listener is closed, i.e. the drain has begun.
	g.Eventually(dial).WithTimeout(10*time.Second).ShouldNot(gomega.Succeed(), "listener still open after SIGTERM")
	_, _ = pw.Write(blob[first:])
	pw.Close()
	if code := <-answered; code != 202 {
		t.Errorf("in-flight upload answered %d", code)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("registry did not exit after SIGTERM")
	}
	if got := uploadSize(filepath.Join(dir, "data"), id); got != int64(len(blob)) {
		t.Errorf("after the drain the upload holds %d bytes, want all %d", got, len(blob))
	}
}

// uploadSize is the size of the largest file under root whose path names
// the upload id (-1: none).
func uploadSize(root, id string) int64 {
	size := int64(-1)
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(p, id) {
			return nil
		}
		if info, err := d.Info(); err == nil {
			size = max(size, info.Size())
		}
		return nil
	})
	return size
}
