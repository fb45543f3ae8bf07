package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	hbruntime "github.com/hookbench/hookbench/harness/runtime"
)

// CNCF Distribution, the reference registry, as a ready peer image.
const (
	// DistributionVersion is the release BuildDistribution builds.
	DistributionVersion = "v3.1.2"
	// DistributionImage is the image BuildDistribution tags.
	DistributionImage = "hookbench/distribution:" + DistributionVersion
	distributionPkg   = "github.com/distribution/distribution/v3/cmd/registry"
)

// distributionConfig makes `docker run` of the image useful on its own;
// the docker runtime mounts the scenario's config over it.
const distributionConfig = `version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  debug:
    addr: :5001
`

// DistributionRegistry is the RegistryImage of an image BuildDistribution
// made, with Distribution's declared differences: POST ?digest= with a
// body does not complete an upload, and PUT by digest ignores ?tag=.
func DistributionRegistry(ref string) hbruntime.RegistryImage {
	return hbruntime.RegistryImage{Image: ref, SingleRequestUpload: false, NoTagQuery: true}.WithDefaults()
}

// BuildDistribution builds CNCF Distribution's registry from the Go module
// proxy (`CGO_ENABLED=0 go install .../cmd/registry@DistributionVersion`)
// into cacheDir (default: the user's cache dir, hookbench/), then a FROM
// scratch image DistributionImage from a build context made here. Nothing
// is pulled; a binary or image already there is reused.
func BuildDistribution(ctx context.Context, cacheDir string, log io.Writer) (string, error) {
	if log == nil {
		log = io.Discard
	}
	if runtime.GOOS != "linux" {
		return "", fmt.Errorf("distribution image: go install builds for this host (%s); build on linux", runtime.GOOS)
	}
	if cacheDir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("distribution image: no cache dir: %w", err)
		}
		cacheDir = filepath.Join(d, "hookbench")
	}
	bin := filepath.Join(cacheDir, "distribution-"+DistributionVersion)
	exe := filepath.Join(bin, "registry")
	if !fileExists(exe) {
		if err := os.MkdirAll(bin, 0o755); err != nil {
			return "", err
		}
		fmt.Fprintf(log, "building CNCF Distribution %s from the Go module proxy ...\n", DistributionVersion)
		gobin := "go"
		if g := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(g) {
			gobin = g
		}
		args := []string{"install", "-trimpath", "-ldflags=-s -w", distributionPkg + "@" + DistributionVersion}
		cmd := exec.CommandContext(ctx, gobin, args...)
		cmd.Dir = bin // outside any module: the release's own go.mod decides
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOBIN="+bin, "GOFLAGS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, b)
		}
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		return "", err
	}
	cli, err := newClient()
	if err != nil {
		return "", err
	}
	defer cli.Close()
	dockerfile := "FROM scratch\nCOPY registry /bin/registry\nCOPY config.yml /etc/docker/registry/config.yml\n" +
		"EXPOSE 5000 5001\nENTRYPOINT [\"/bin/registry\"]\nCMD [\"serve\", \"/etc/docker/registry/config.yml\"]\n"
	contents := map[string][]byte{"registry": b, "config.yml": []byte(distributionConfig)}
	ref, err := ensureRef(ctx, cli, DistributionImage, "registry", dockerfile, contents, []string{"config.yml", "registry"}, log)
	if err != nil {
		return "", errors.Join(errors.New("distribution image"), err)
	}
	return ref, nil
}
