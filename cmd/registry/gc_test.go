package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onsi/gomega"
	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry/storage/filesystem"
)

// served is a `registry serve` running in this process on a free port.
type served struct {
	url    string
	cancel context.CancelFunc
	done   chan int
	logs   *syncBuffer
	once   sync.Once
}

func serveConfig(t *testing.T, root string, readOnly bool) string {
	t.Helper()
	yml := fmt.Sprintf("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n  maintenance:\n    readonly:\n      enabled: %v\nhttp:\n  draintimeout: 2s\nlog:\n  level: error\n", root, readOnly)
	path := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func startServe(t *testing.T, cfg string) *served {
	t.Helper()
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{url: "http://" + addr, cancel: cancel, done: make(chan int, 1), logs: &syncBuffer{}}
	go func() {
		s.done <- run(ctx, []string{"serve", cfg}, []string{"REGISTRY_HTTP_ADDR=" + addr}, s.logs, s.logs)
	}()
	gomega.NewWithT(t).Eventually(func() error {
		resp, err := http.Get(s.url + "/v2/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}).WithTimeout(5*time.Second).Should(gomega.Succeed(), func() string { return s.logs.String() })
	t.Cleanup(s.stop)
	return s
}

func (s *served) stop() {
	s.once.Do(func() {
		s.cancel()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
		}
	})
}

func httpDo(t *testing.T, method, url string, body []byte, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// pushBlob uploads as go-containerregistry does: POST, one PATCH with
// the whole blob, PUT ?digest= without a body.
func pushBlob(t *testing.T, base, repo string, b []byte) v1.Descriptor {
	t.Helper()
	d := digest.FromBytes(b)
	resp := httpDo(t, "POST", base+"/v2/"+repo+"/blobs/uploads/", nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST upload: %s", resp.Status)
	}
	loc := base + resp.Header.Get("Location")
	resp = httpDo(t, "PATCH", loc, b, "Content-Type", "application/octet-stream")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("PATCH: %s", resp.Status)
	}
	resp = httpDo(t, "PUT", base+resp.Header.Get("Location")+"?digest="+string(d), nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %s", resp.Status)
	}
	return v1.Descriptor{MediaType: v1.MediaTypeImageLayer, Digest: d, Size: int64(len(b))}
}

func putManifest(t *testing.T, base, repo, ref string, m any) digest.Digest {
	t.Helper()
	b, _ := json.Marshal(m)
	mt := v1.MediaTypeImageManifest
	if _, ok := m.(v1.Index); ok {
		mt = v1.MediaTypeImageIndex
	}
	if resp := httpDo(t, "PUT", base+"/v2/"+repo+"/manifests/"+ref, b, "Content-Type", mt); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT manifest %s: %s", ref, resp.Status)
	}
	return digest.FromBytes(b)
}

func image(cfg v1.Descriptor, layers ...v1.Descriptor) v1.Manifest {
	cfg.MediaType = v1.MediaTypeImageConfig
	m := v1.Manifest{MediaType: v1.MediaTypeImageManifest, Config: cfg, Layers: layers}
	m.SchemaVersion = 2
	return m
}

func headStatus(t *testing.T, base, repo string, d digest.Digest) int {
	t.Helper()
	return httpDo(t, "HEAD", base+"/v2/"+repo+"/blobs/"+string(d), nil).StatusCode
}

// TestGarbageCollectCommand drives `registry serve` over HTTP the way a
// client pushes and `registry garbage-collect` as an operator runs it:
// refused beside a registry taking writes, run beside a read-only one,
// it frees the blobs of a deleted manifest (HEAD 404) and keeps every
// blob still referenced (a shared layer, an index child's, a referrer's).
func TestGarbageCollectCommand(t *testing.T) {
	root := filepath.Join(t.TempDir(), "data")
	rw := startServe(t, serveConfig(t, root, false))
	base := rw.url
	cfgA, cfgB := pushBlob(t, base, "app", []byte(`{"a":1}`)), pushBlob(t, base, "app", []byte(`{"b":1}`))
	onlyA := pushBlob(t, base, "app", []byte("only in A"))
	shared := pushBlob(t, base, "app", []byte("shared"))
	childLayer := pushBlob(t, base, "app", []byte("only in the index's child"))
	sig := pushBlob(t, base, "app", []byte("signature"))
	a := putManifest(t, base, "app", "a", image(cfgA, onlyA, shared))
	imgB := image(cfgB, shared)
	b := putManifest(t, base, "app", "b", imgB)
	child := image(cfgB, childLayer)
	childBytes, _ := json.Marshal(child)
	childDg := putManifest(t, base, "app", string(digest.FromBytes(childBytes)), child)
	idx := v1.Index{MediaType: v1.MediaTypeImageIndex, Manifests: []v1.Descriptor{{MediaType: v1.MediaTypeImageManifest, Digest: childDg, Size: int64(len(childBytes))}}}
	idx.SchemaVersion = 2
	putManifest(t, base, "app", "multi", idx)
	bBytes, _ := json.Marshal(imgB)
	ref := image(cfgB, sig)
	ref.ArtifactType = "application/vnd.example.sig"
	ref.Subject = &v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: b, Size: int64(len(bBytes))}
	refBytes, _ := json.Marshal(ref)
	putManifest(t, base, "app", string(digest.FromBytes(refBytes)), ref)
	if resp := httpDo(t, "DELETE", base+"/v2/app/manifests/"+string(a), nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("DELETE manifest: %s", resp.Status)
	}

	gc := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"garbage-collect"}, args...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	roCfg := serveConfig(t, root, true)
	if code, _, errs := gc(roCfg); code != 1 || !strings.Contains(errs, "in use") || !strings.Contains(errs, "readonly") {
		t.Fatalf("beside a writing registry: exit %d, %q", code, errs)
	}
	rw.stop()
	if d, err := filesystem.New(root); err != nil {
		t.Fatalf("after stop: %v\n%s", err, rw.logs.String())
	} else {
		d.Close()
	}

	ro := startServe(t, roCfg)
	if resp := httpDo(t, "PUT", ro.url+"/v2/app/manifests/x", bBytes, "Content-Type", v1.MediaTypeImageManifest); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("push to a read-only registry: %s", resp.Status)
	}
	if code, _, errs := gc("--delete-untagged", roCfg); code != 1 || !strings.Contains(errs, "stopped") {
		t.Fatalf("--delete-untagged beside a read-only registry: exit %d, %q", code, errs)
	}
	code, out, errs := gc("--dry-run", roCfg)
	if code != 0 || !strings.Contains(out, "would remove blob "+string(cfgA.Digest)) || !strings.Contains(out, "would remove blob "+string(onlyA.Digest)) {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errs)
	}
	if headStatus(t, ro.url, "app", onlyA.Digest) != http.StatusOK {
		t.Fatal("dry run removed a blob")
	}
	code, out, errs = gc(roCfg)
	if code != 0 || !strings.Contains(out, "6 blobs: 4 kept, 2 removed") {
		t.Fatalf("collect: exit %d\n%s\n%s", code, out, errs)
	}
	for _, d := range []digest.Digest{cfgA.Digest, onlyA.Digest} {
		if got := headStatus(t, ro.url, "app", d); got != http.StatusNotFound {
			t.Errorf("freed blob %s: HEAD %d", d, got)
		}
	}
	for _, d := range []digest.Digest{cfgB.Digest, shared.Digest, childLayer.Digest, sig.Digest} {
		if got := headStatus(t, ro.url, "app", d); got != http.StatusOK {
			t.Errorf("referenced blob %s: HEAD %d", d, got)
		}
	}
	for _, p := range []string{"blobs/sha256/" + onlyA.Digest.Encoded()[:2] + "/" + onlyA.Digest.Encoded(), "repositories/app/_layers/sha256/" + onlyA.Digest.Encoded()} {
		if _, err := os.Stat(filepath.Join(root, p)); !os.IsNotExist(err) {
			t.Errorf("%s still on disk: %v", p, err)
		}
	}
}

func TestGarbageCollectBadInput(t *testing.T) {
	mem := filepath.Join(t.TempDir(), "mem.yml")
	os.WriteFile(mem, []byte("version: 0.1\nstorage:\n  inmemory:\n"), 0o600)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "want exactly one config file"},
		{[]string{"a.yml", "b.yml"}, 2, "want exactly one config file"},
		{[]string{"--nope", "a.yml"}, 2, "flag provided but not defined"},
		{[]string{"/nonexistent/config.yml"}, 1, "registry garbage-collect:"},
		{[]string{mem}, 1, "only filesystem storage"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"garbage-collect"}, tc.args...), nil, &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want %d, %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}
