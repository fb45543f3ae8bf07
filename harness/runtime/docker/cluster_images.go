package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	hrt "github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/servers"
)

// Images of the cluster topology (keys of BuildClusterImages' map, beside
// BuildImages' ones).
const (
	ImageBalancer = "balancer"
	ImageMinIO    = "minio"
	ImageNATS     = "nats-server"
)

// BuildClusterImages builds (or finds) the images a topology needs besides
// BuildImages' ones: the balancer always, MinIO for s3 storage, nats-server
// for the nats queue. MinIO and nats-server are built from the Go module
// proxy into servers' cache on first use (minutes for MinIO), then copied
// into FROM scratch images: nothing is pulled.
func BuildClusterImages(ctx context.Context, repoRoot string, topo hrt.Topology) (map[string]string, error) {
	cli, err := newClient()
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	bin, err := os.MkdirTemp("", "hookbench-cluster-images-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(bin)
	bal := program{name: ImageBalancer, pkg: "./cmd/balancer", tail: "EXPOSE 8080\nENTRYPOINT [\"/balancer\"]\n"}
	if err := goBuild(ctx, root, bin, []program{bal}); err != nil {
		return nil, err
	}
	if out[ImageBalancer], err = ensureImage(ctx, cli, bal.name, "FROM scratch\nCOPY balancer /balancer\n"+bal.tail,
		map[string]string{bal.name: filepath.Join(bin, bal.name)}, io.Discard); err != nil {
		return nil, err
	}
	if topo.Storage == hrt.StorageS3 {
		minio, err := servers.MinIOBinary(ctx)
		if err != nil {
			return nil, fmt.Errorf("docker: MinIO image: %w", err)
		}
		dir := filepath.Join(bin, "minio-context")
		if err := servers.MinIOBuildContext(dir, minio); err != nil {
			return nil, err
		}
		if out[ImageMinIO], err = ensureContextImage(ctx, cli, ImageMinIO, dir); err != nil {
			return nil, err
		}
	}
	if topo.Queue == hrt.QueueNATS {
		ref, err := natsImage(ctx, cli, bin)
		if err != nil {
			return nil, err
		}
		out[ImageNATS] = ref
	}
	return out, nil
}

// ensureContextImage builds the image of a build context directory (its
// Dockerfile and every file and folder), tagged by a hash of its content
// like ensureImage, unless an image with that tag exists.
func ensureContextImage(ctx context.Context, cli *client.Client, name, dir string) (string, error) {
	df, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		return "", fmt.Errorf("image %s: %w", name, err)
	}
	contents := map[string][]byte{}
	var dirs []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			dirs = append(dirs, rel)
			return nil
		}
		if rel == "Dockerfile" {
			return nil
		}
		b, err := os.ReadFile(p)
		contents[rel] = b
		return err
	})
	if err != nil {
		return "", fmt.Errorf("image %s: %w", name, err)
	}
	// Folders are part of the content too (empty ones are COPYed).
	dockerfile := string(df)
	ref, names := contentRef(name, dockerfile+"\x00dirs:"+strings.Join(dirs, ","), contents)
	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		return ref, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", fmt.Errorf("image %s: inspect: %w", ref, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(0, 0)
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(df)), ModTime: mtime}); err != nil {
		return "", err
	}
	if _, err := tw.Write(df); err != nil {
		return "", err
	}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Name: d + "/", Mode: 0o755, ModTime: mtime, Typeflag: tar.TypeDir}); err != nil {
			return "", err
		}
	}
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: int64(len(contents[n])), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			return "", err
		}
		if _, err := tw.Write(contents[n]); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	res, err := cli.ImageBuild(ctx, &buf, client.ImageBuildOptions{Tags: []string{ref}, Dockerfile: "Dockerfile",
		Remove: true, ForceRemove: true, Labels: map[string]string{LabelHookbench: name}})
	if err != nil {
		return "", fmt.Errorf("image %s: build: %w", ref, err)
	}
	defer res.Body.Close()
	if err := readBuildStream(res.Body, io.Discard); err != nil {
		return "", fmt.Errorf("image %s: build: %w", ref, err)
	}
	return ref, nil
}
