package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGarbageCollectWithCraneAndOras runs the real clients against
// `registry serve`: crane pushes two images sharing nothing, oras pushes an
// artifact and attaches a signature (a referrer) to one image, crane
// deletes the other; garbage-collect (beside the registry made read-only)
// frees the deleted image's layer and keeps the rest, as the clients then
// see. crane and oras come from clientTool (PATH, GOPATH/bin, or go
// install at pinned versions); TestGarbageCollectCommand makes the same
// checks with plain HTTP requests.
func TestGarbageCollectWithCraneAndOras(t *testing.T) {
	// Found, or installed at pinned versions, as the TLS/token client tests
	// do; with CI=true a missing client fails.
	bins := map[string]string{"crane": clientTool(t, "crane", cranePkg), "oras": clientTool(t, "oras", orasPkg)}
	dir := t.TempDir()
	root := filepath.Join(dir, "data")
	rw := startServe(t, serveConfig(t, root, false))
	host := strings.TrimPrefix(rw.url, "http://")
	cli := func(name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bins[name], args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dir, "HOME="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	layerTar := func(name, content string) string {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content))})
		tw.Write([]byte(content))
		tw.Close()
		p := filepath.Join(dir, name+".tar")
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cli("crane", "append", "--insecure", "--oci-empty-base", "-f", layerTar("kept", "kept layer"), "-t", host+"/app:kept")
	cli("crane", "append", "--insecure", "--oci-empty-base", "-f", layerTar("gone", "layer of the deleted image"), "-t", host+"/app:gone")
	layers := func(ref string) []string {
		var m struct{ Layers []struct{ Digest string } }
		if err := json.Unmarshal([]byte(cli("crane", "manifest", "--insecure", ref)), &m); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range m.Layers {
			out = append(out, l.Digest)
		}
		return out
	}
	keptLayer, goneLayer := layers(host + "/app:kept")[0], layers(host + "/app:gone")[0]
	os.WriteFile(filepath.Join(dir, "sig.txt"), []byte("a signature"), 0o644)
	cli("oras", "attach", "--plain-http", "--artifact-type", "application/vnd.example.sig", host+"/app:kept", "sig.txt:text/plain")
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("some notes"), 0o644)
	cli("oras", "push", "--plain-http", host+"/notes:v1", "notes.txt:text/plain")
	goneDigest := cli("crane", "digest", "--insecure", host+"/app:gone")
	cli("crane", "delete", "--insecure", host+"/app@"+goneDigest)
	rw.stop()

	roCfg := serveConfig(t, root, true)
	ro := startServe(t, roCfg)
	host = strings.TrimPrefix(ro.url, "http://")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"garbage-collect", roCfg}, nil, &out, &errb); code != 0 {
		t.Fatalf("garbage-collect: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "removed blob "+goneLayer) || strings.Contains(out.String(), keptLayer) {
		t.Fatalf("garbage-collect output:\n%s", out.String())
	}
	blobOK := func(repo, dg string) bool {
		cmd := exec.Command(bins["crane"], "blob", "--insecure", host+"/"+repo+"@"+dg)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dir, "HOME="+dir)
		return cmd.Run() == nil
	}
	if blobOK("app", goneLayer) {
		t.Error("crane still pulls the deleted image's layer")
	}
	if !blobOK("app", keptLayer) {
		t.Error("crane cannot pull the kept image's layer")
	}
	cli("crane", "pull", "--insecure", host+"/app:kept", filepath.Join(dir, "kept.tar"))
	cli("oras", "pull", "--plain-http", "-o", filepath.Join(dir, "pulled"), host+"/notes:v1")
	if b, err := os.ReadFile(filepath.Join(dir, "pulled", "notes.txt")); err != nil || string(b) != "some notes" {
		t.Errorf("oras pull after collection: %q %v", b, err)
	}
	refs := cli("oras", "discover", "--plain-http", "--format", "json", host+"/app:kept")
	if !strings.Contains(refs, "application/vnd.example.sig") {
		t.Fatalf("the signature is gone: %s", refs)
	}
	cli("oras", "pull", "--plain-http", "-o", filepath.Join(dir, "sig"), host+"/app@"+sigDigest(t, refs))
}

// sigDigest is the digest of the first referrer oras discover lists.
func sigDigest(t *testing.T, discover string) string {
	t.Helper()
	var d struct {
		Manifests []struct{ Digest string } `json:"manifests"`
		Referrers []struct{ Digest string } `json:"referrers"`
	}
	if err := json.Unmarshal([]byte(discover), &d); err != nil {
		t.Fatalf("oras discover: %v\n%s", err, discover)
	}
	for _, l := range [][]struct{ Digest string }{d.Manifests, d.Referrers} {
		if len(l) > 0 {
			return l[0].Digest
		}
	}
	t.Fatalf("no referrer in %s", discover)
	return ""
}
