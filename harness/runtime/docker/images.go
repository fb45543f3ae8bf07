// Package docker is the harness's container runtime: the registry, fake
// webhook receivers and a toxiproxy run as containers (testcontainers-go) on
// a private network per scenario, with chaos only real containers allow.
//
// Images are built here, offline: static binaries from `go build` copied into
// single-stage FROM scratch images, tagged by a content hash so a second run
// reuses them. No image is ever pulled.
package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Image names (keys of BuildImages' map).
const (
	ImageRegistry     = "registry"
	ImageFakeEndpoint = "fake-endpoint"
	ImageToxiproxy    = "toxiproxy"
)

// LabelHookbench marks every image, container, network and volume this
// package makes, for humans and for clean-up.
const LabelHookbench = "io.hookbench"

// program is one image: a Go main package and how its container starts.
type program struct {
	name  string // image and binary name
	pkg   string // package path relative to the repository root
	extra map[string]string
	// Dockerfile lines after FROM scratch and COPY of the binary.
	tail string
}

func programs(repoRoot string) []program {
	reg := program{name: ImageRegistry, pkg: "./cmd/registry",
		tail: "EXPOSE 5000 5001\nENTRYPOINT [\"/registry\"]\nCMD [\"serve\", \"/etc/docker/registry/config.yml\"]\n"}
	// The development config, when present, makes `docker run` of the image useful on its own.
	if _, err := os.Stat(filepath.Join(repoRoot, "cmd/registry/config-dev.yml")); err == nil {
		reg.extra = map[string]string{"config.yml": filepath.Join(repoRoot, "cmd/registry/config-dev.yml")}
		reg.tail = "COPY config.yml /etc/docker/registry/config.yml\n" + reg.tail
	}
	return []program{
		reg,
		{name: ImageFakeEndpoint, pkg: "./cmd/fake-endpoint",
			tail: "EXPOSE 8080 8081\nENTRYPOINT [\"/fake-endpoint\"]\n"},
		{name: ImageToxiproxy, pkg: "./cmd/toxiproxy",
			tail: "EXPOSE 8474\nENTRYPOINT [\"/toxiproxy\"]\n"},
	}
}

// BuildImages builds (or finds already built) every image the docker runtime
// needs and returns their references by name ("registry", "fake-endpoint",
// "toxiproxy"), e.g. "hookbench/registry:3f2a9c0d1e4b5a6f".
func BuildImages(ctx context.Context, repoRoot string) (map[string]string, error) {
	cli, err := newClient()
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	return buildImages(ctx, cli, repoRoot, io.Discard)
}

func newClient() (*client.Client, error) {
	cli, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return cli, nil
}

func buildImages(ctx context.Context, cli *client.Client, repoRoot string, log io.Writer) (map[string]string, error) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return nil, err
	}
	progs := programs(root)
	bin, err := os.MkdirTemp("", "hookbench-images-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(bin)
	if err := goBuild(ctx, root, bin, progs); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range progs {
		files := map[string]string{p.name: filepath.Join(bin, p.name)}
		for k, v := range p.extra {
			files[k] = v
		}
		dockerfile := "FROM scratch\nCOPY " + p.name + " /" + p.name + "\n" + p.tail
		ref, err := ensureImage(ctx, cli, p.name, dockerfile, files, log)
		if err != nil {
			return nil, err
		}
		out[p.name] = ref
	}
	return out, nil
}

// goBuild builds every program as a static linux binary into dir.
func goBuild(ctx context.Context, root, dir string, progs []program) error {
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", dir + string(filepath.Separator)}
	for _, p := range progs {
		if _, err := os.Stat(filepath.Join(root, p.pkg)); err != nil {
			return fmt.Errorf("image %s: package %s missing: %w", p.name, p.pkg, err)
		}
		args = append(args, p.pkg)
	}
	gobin := "go"
	if g := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(g) {
		gobin = g
	}
	cmd := exec.CommandContext(ctx, gobin, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// ensureImage tags the image by a hash of its Dockerfile and files and builds
// it only when no image has that tag yet.
func ensureImage(ctx context.Context, cli *client.Client, name, dockerfile string, files map[string]string, log io.Writer) (string, error) {
	contents := map[string][]byte{}
	for n, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		contents[n] = b
	}
	ref, names := contentRef(name, dockerfile, contents)
	return ensureRef(ctx, cli, ref, name, dockerfile, contents, names, log)
}

// ensureRef builds the image ref from a build context of the Dockerfile and
// the files (names in order) unless the engine has it already.
func ensureRef(ctx context.Context, cli *client.Client, ref, name, dockerfile string, contents map[string][]byte, names []string, log io.Writer) (string, error) {
	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		fmt.Fprintf(log, "image %s: cached\n", ref)
		return ref, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", fmt.Errorf("image %s: inspect: %w", ref, err)
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(0, 0)
	add := func(n string, b []byte, mode int64) error {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: mode, Size: int64(len(b)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	if err := add("Dockerfile", []byte(dockerfile), 0o644); err != nil {
		return "", err
	}
	for _, n := range names {
		mode := int64(0o644)
		if n == name {
			mode = 0o755
		}
		if err := add(n, contents[n], mode); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	start := time.Now()
	res, err := cli.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags:        []string{ref},
		Dockerfile:  "Dockerfile",
		Remove:      true,
		ForceRemove: true,
		Labels:      map[string]string{LabelHookbench: name},
	})
	if err != nil {
		return "", fmt.Errorf("image %s: build: %w", ref, err)
	}
	defer res.Body.Close()
	if err := readBuildStream(res.Body, log); err != nil {
		return "", fmt.Errorf("image %s: build: %w", ref, err)
	}
	fmt.Fprintf(log, "image %s: built in %s\n", ref, time.Since(start).Round(time.Millisecond))
	return ref, nil
}

// contentRef is the image reference for a build context: the tag is a hash
// of the Dockerfile and every file (names included), so equal content finds
// the image built before. names are the files in a fixed order.
func contentRef(name, dockerfile string, contents map[string][]byte) (string, []string) {
	names := slices.Sorted(maps.Keys(contents))
	h := sha256.New()
	fmt.Fprintf(h, "Dockerfile\x00%d\x00%s", len(dockerfile), dockerfile)
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(contents[n]))
		h.Write(contents[n])
	}
	return "hookbench/" + name + ":" + hex.EncodeToString(h.Sum(nil))[:16], names
}

// readBuildStream reads the engine's JSON message stream and returns the
// first error it reports.
func readBuildStream(r io.Reader, log io.Writer) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Stream      string `json:"stream"`
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
		if m.Stream != "" {
			io.WriteString(log, m.Stream)
		}
	}
}
