package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry/storage"
	"github.com/hookbench/hookbench/registry/storage/s3"
	"github.com/hookbench/hookbench/servers"
)

const bucket = "registry"

// env is one MinIO server with a bucket, and a way to make drivers on it
// (each driver plays one registry replica).
type env struct {
	t     testing.TB
	minio *servers.MinIO
	root  string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	m := servers.MinIOForTest(t, bucket)
	return &env{t: t, minio: m, root: "/" + strings.ReplaceAll(t.Name(), "/", "-") + "/"}
}

func (e *env) config() s3.Config {
	return s3.Config{
		Region:         e.minio.Region,
		RegionEndpoint: e.minio.Endpoint,
		Bucket:         bucket,
		RootDirectory:  e.root,
		AccessKey:      e.minio.AccessKey,
		SecretKey:      e.minio.SecretKey,
		ChunkSize:      s3.MinChunkSize,
	}
}

func (e *env) driver(mod ...func(*s3.Config)) *s3.Driver {
	e.t.Helper()
	cfg := e.config()
	for _, f := range mod {
		f(&cfg)
	}
	d, err := s3.New(cfg, s3.WithMaxRetries(2))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := d.Ping(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return d
}

// keys lists what the bucket holds under the test's root.
func (e *env) keys(prefix string) []string {
	e.t.Helper()
	c, err := e.minio.Client()
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for o := range c.ListObjectsIter(context.Background(), bucket, minio.ListObjectsOptions{Prefix: strings.TrimPrefix(e.root, "/") + prefix, Recursive: true}) {
		if o.Err != nil {
			e.t.Fatal(o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

// incompleteUploads counts multipart uploads left open in the bucket.
func (e *env) incompleteUploads() int {
	e.t.Helper()
	c, err := e.minio.Client()
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for u := range c.ListIncompleteUploads(context.Background(), bucket, strings.TrimPrefix(e.root, "/"), true) {
		if u.Err != nil {
			e.t.Fatal(u.Err)
		}
		n++
	}
	return n
}

func random(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func readBlob(t *testing.T, d storage.Driver, repo string, dg digest.Digest) []byte {
	t.Helper()
	rc, size, err := d.BlobOpen(context.Background(), repo, dg)
	if err != nil {
		t.Fatalf("open %s in %s: %v", dg, repo, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != size {
		t.Fatalf("read %d bytes, size says %d", len(b), size)
	}
	return b
}

// TestBlobs: put, stat, read, seek, mount, delete; a wrong digest stores
// nothing, small or multipart.
func TestBlobs(t *testing.T) {
	e := newEnv(t)
	d := e.driver()
	ctx := context.Background()
	for _, n := range []int{0, 1000, s3.MinChunkSize, 2*s3.MinChunkSize + 123} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			content := random(t, n)
			dg := digest.FromBytes(content)
			got, err := d.BlobPut(ctx, "a/b", dg, bytes.NewReader(content))
			if err != nil || got != int64(n) {
				t.Fatalf("put: %d %v", got, err)
			}
			if size, err := d.BlobStat(ctx, "a/b", dg); err != nil || size != int64(n) {
				t.Fatalf("stat: %d %v", size, err)
			}
			if !bytes.Equal(readBlob(t, d, "a/b", dg), content) {
				t.Fatal("content differs")
			}
			if _, err := d.BlobStat(ctx, "other", dg); !errors.Is(err, storage.ErrBlobUnknown) {
				t.Fatalf("stat in another repository: %v", err)
			}
			if size, err := d.BlobMount(ctx, "a/b", "other", dg); err != nil || size != int64(n) {
				t.Fatalf("mount: %d %v", size, err)
			}
			if size, err := d.BlobMount(ctx, "", "third", dg); err != nil || size != int64(n) {
				t.Fatalf("mount without from: %d %v", size, err)
			}
			if err := d.BlobDelete(ctx, "a/b", dg); err != nil {
				t.Fatal(err)
			}
			if _, err := d.BlobStat(ctx, "a/b", dg); !errors.Is(err, storage.ErrBlobUnknown) {
				t.Fatalf("stat after delete: %v", err)
			}
			if err := d.BlobDelete(ctx, "a/b", dg); !errors.Is(err, storage.ErrBlobUnknown) {
				t.Fatalf("second delete: %v", err)
			}
			if !bytes.Equal(readBlob(t, d, "other", dg), content) {
				t.Fatal("mounted content differs")
			}

			wrong := digest.FromString("something else " + fmt.Sprint(n))
			if _, err := d.BlobPut(ctx, "a/b", wrong, bytes.NewReader(content)); !errors.Is(err, storage.ErrDigestMismatch) {
				t.Fatalf("wrong digest: %v", err)
			}
			if _, err := d.BlobMount(ctx, "", "c", wrong); !errors.Is(err, storage.ErrBlobUnknown) {
				t.Fatalf("blob of a wrong digest was stored: %v", err)
			}
		})
	}
	if n := e.incompleteUploads(); n != 0 {
		t.Fatalf("%d multipart uploads left open", n)
	}
	if _, err := d.BlobMount(ctx, "nowhere", "c", digest.FromString("x")); !errors.Is(err, storage.ErrBlobUnknown) {
		t.Fatalf("mount from an unknown repository: %v", err)
	}
}

// TestBlobSeek: a served blob seeks (range requests).
func TestBlobSeek(t *testing.T) {
	e := newEnv(t)
	d := e.driver()
	ctx := context.Background()
	content := random(t, 100_000)
	dg := digest.FromBytes(content)
	if _, err := d.BlobPut(ctx, "r", dg, bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	rc, _, err := d.BlobOpen(ctx, "r", dg)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := rc.Seek(90_000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(b, content[90_000:]) {
		t.Fatalf("after seek: %d bytes, %v", len(b), err)
	}
}

// TestUploadAcrossReplicas: one upload's steps run on different drivers
// (replicas) sharing the bucket, with small chunks (streamed again at
// commit) and large ones (copied server-side).
func TestUploadAcrossReplicas(t *testing.T) {
	e := newEnv(t)
	a := e.driver()
	b := e.driver(func(c *s3.Config) {
		c.MultipartCopyChunkSize = 6 << 20
		c.MultipartCopyThresholdSize = s3.MinChunkSize
		c.MultipartCopyMaxConcurrency = 2
	})
	ctx := context.Background()
	for name, sizes := range map[string][]int{
		"small":  {1, 1000, 0, 70_000},
		"large":  {s3.MinChunkSize + 7, 2*s3.MinChunkSize + 3, 11},
		"single": {3*s3.MinChunkSize + 1},
		"one":    {70_000},
		"empty":  {},
	} {
		t.Run(name, func(t *testing.T) {
			var all []byte
			id, err := a.UploadStart(ctx, "x/y")
			if err != nil {
				t.Fatal(err)
			}
			for i, n := range sizes {
				d := []*s3.Driver{a, b}[i%2]
				chunk := random(t, n)
				size, err := d.UploadWrite(ctx, "x/y", id, int64(len(all)), bytes.NewReader(chunk))
				all = append(all, chunk...)
				if err != nil || size != int64(len(all)) {
					t.Fatalf("chunk %d: size %d (want %d), %v", i, size, len(all), err)
				}
				other := []*s3.Driver{b, a}[i%2]
				if got, err := other.UploadSize(ctx, "x/y", id); err != nil || got != int64(len(all)) {
					t.Fatalf("size seen by the other replica: %d %v", got, err)
				}
			}
			// Out of order: 416 material, with the real size.
			var re *storage.RangeError
			if _, err := b.UploadWrite(ctx, "x/y", id, int64(len(all))+5, strings.NewReader("zz")); !errors.As(err, &re) || re.Size != int64(len(all)) {
				t.Fatalf("chunk past the end: %v", err)
			}
			if _, err := a.UploadSize(ctx, "other/repo", id); !errors.Is(err, storage.ErrUploadUnknown) {
				t.Fatalf("upload seen from another repository: %v", err)
			}
			wrong := digest.FromString("not it")
			if _, err := b.UploadCommit(ctx, "x/y", id, wrong); !errors.Is(err, storage.ErrDigestMismatch) {
				t.Fatalf("commit with a wrong digest: %v", err)
			}
			if got, err := a.UploadSize(ctx, "x/y", id); err != nil || got != int64(len(all)) {
				t.Fatalf("upload after a failed commit: %d %v", got, err)
			}
			dg := digest.FromBytes(all)
			if size, err := b.UploadCommit(ctx, "x/y", id, dg); err != nil || size != int64(len(all)) {
				t.Fatalf("commit: %d %v", size, err)
			}
			if !bytes.Equal(readBlob(t, a, "x/y", dg), all) {
				t.Fatal("committed content differs")
			}
			if _, err := a.UploadSize(ctx, "x/y", id); !errors.Is(err, storage.ErrUploadUnknown) {
				t.Fatalf("upload after commit: %v", err)
			}
			if _, err := a.BlobMount(ctx, "", "z", wrong); !errors.Is(err, storage.ErrBlobUnknown) {
				t.Fatalf("a wrong digest was stored: %v", err)
			}
		})
	}
	if keys := e.keys("_uploads/"); len(keys) != 0 {
		t.Fatalf("upload objects left: %v", keys)
	}
	if n := e.incompleteUploads(); n != 0 {
		t.Fatalf("%d multipart uploads left open", n)
	}
}

// TestUploadRace: replicas appending at the same offset at once: exactly
// one wins, the others learn the real size.
func TestUploadRace(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	drivers := []*s3.Driver{e.driver(), e.driver(), e.driver(), e.driver()}
	id, err := drivers[0].UploadStart(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, lost := 0, 0
	for i, d := range drivers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := d.UploadWrite(ctx, "r", id, 0, strings.NewReader(fmt.Sprintf("writer %d", i)))
			mu.Lock()
			defer mu.Unlock()
			var re *storage.RangeError
			switch {
			case err == nil:
				won++
			case errors.As(err, &re) && re.Size == int64(len("writer 0")):
				lost++
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || lost != len(drivers)-1 {
		t.Fatalf("%d won, %d lost", won, lost)
	}
	if err := drivers[1].UploadCancel(ctx, "r", id); err != nil {
		t.Fatal(err)
	}
	if err := drivers[2].UploadCancel(ctx, "r", id); !errors.Is(err, storage.ErrUploadUnknown) {
		t.Fatalf("second cancel: %v", err)
	}
}

func manifest(i int, subject digest.Digest) storage.Manifest {
	content := []byte(fmt.Sprintf(`{"schemaVersion":2,"n":%d}`, i))
	return storage.Manifest{
		Descriptor: v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: digest.FromBytes(content), Size: int64(len(content)),
			ArtifactType: "a/b", Annotations: map[string]string{"k": fmt.Sprint(i)}},
		Subject: subject,
		Content: content,
	}
}

// TestManifests: manifests, tags, referrers, deletes, repositories; what
// one replica writes the other reads.
func TestManifests(t *testing.T) {
	e := newEnv(t)
	a, b := e.driver(), e.driver()
	ctx := context.Background()
	if _, err := b.Tags(ctx, "a/b"); !errors.Is(err, storage.ErrRepositoryUnknown) {
		t.Fatalf("tags of an unknown repository: %v", err)
	}
	m0 := manifest(0, "")
	m1, m2 := manifest(1, m0.Descriptor.Digest), manifest(2, m0.Descriptor.Digest)
	for _, step := range []error{
		a.ManifestPut(ctx, "a/b", m0, "v0", "latest"),
		a.ManifestPut(ctx, "a/b", m1, "v1"),
		a.ManifestPut(ctx, "a/b", m2),
		a.ManifestPut(ctx, "a/b", m1, "latest"), // re-tag
		a.ManifestPut(ctx, "a/b/c", m0, "x"),    // a nested name
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	if tags, err := b.Tags(ctx, "a/b"); err != nil || strings.Join(tags, ",") != "latest,v0,v1" {
		t.Fatalf("tags %v %v", tags, err)
	}
	if dg, err := b.TagResolve(ctx, "a/b", "latest"); err != nil || dg != m1.Descriptor.Digest {
		t.Fatalf("latest -> %s %v", dg, err)
	}
	got, err := b.ManifestGet(ctx, "a/b", m1.Descriptor.Digest)
	if err != nil || !bytes.Equal(got.Content, m1.Content) || got.Subject != m0.Descriptor.Digest || got.Descriptor.Annotations["k"] != "1" || got.Descriptor.ArtifactType != "a/b" {
		t.Fatalf("get %+v %v", got, err)
	}
	refs, err := b.Referrers(ctx, "a/b", m0.Descriptor.Digest)
	if err != nil || len(refs) != 2 {
		t.Fatalf("referrers %+v %v", refs, err)
	}
	if strings.Compare(string(refs[0].Digest), string(refs[1].Digest)) > 0 || refs[0].Annotations["k"] == "" {
		t.Fatalf("referrers not in digest order or incomplete: %+v", refs)
	}
	tags, err := b.ManifestDelete(ctx, "a/b", m1.Descriptor.Digest)
	if err != nil || strings.Join(tags, ",") != "latest,v1" {
		t.Fatalf("delete: %v %v", tags, err)
	}
	if _, err := a.ManifestGet(ctx, "a/b", m1.Descriptor.Digest); !errors.Is(err, storage.ErrManifestUnknown) {
		t.Fatalf("get deleted: %v", err)
	}
	if _, err := a.ManifestDelete(ctx, "a/b", m1.Descriptor.Digest); !errors.Is(err, storage.ErrManifestUnknown) {
		t.Fatalf("delete twice: %v", err)
	}
	if refs, _ := a.Referrers(ctx, "a/b", m0.Descriptor.Digest); len(refs) != 1 || refs[0].Digest != m2.Descriptor.Digest {
		t.Fatalf("referrers after delete %+v", refs)
	}
	if _, err := a.TagResolve(ctx, "a/b", "v1"); !errors.Is(err, storage.ErrTagUnknown) {
		t.Fatalf("deleted tag: %v", err)
	}
	if dg, err := a.TagDelete(ctx, "a/b", "v0"); err != nil || dg != m0.Descriptor.Digest {
		t.Fatalf("tag delete %s %v", dg, err)
	}
	if _, err := a.TagDelete(ctx, "a/b", "v0"); !errors.Is(err, storage.ErrTagUnknown) {
		t.Fatalf("tag delete twice: %v", err)
	}
	for _, dg := range []digest.Digest{m0.Descriptor.Digest, m2.Descriptor.Digest} {
		if _, err := a.ManifestDelete(ctx, "a/b", dg); err != nil {
			t.Fatal(err)
		}
	}
	// Emptied, the repository is still known.
	if tags, err := b.Tags(ctx, "a/b"); err != nil || len(tags) != 0 {
		t.Fatalf("tags of an emptied repository: %v %v", tags, err)
	}
	content := []byte("layer")
	if _, err := a.BlobPut(ctx, "l", digest.FromBytes(content), bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if repos, err := b.Repositories(ctx); err != nil || strings.Join(repos, ",") != "a/b,a/b/c,l" {
		t.Fatalf("repositories %v %v", repos, err)
	}
}

// TestConfigNeverShowsSecret: printing or logging a Config hides the key.
func TestConfigNeverShowsSecret(t *testing.T) {
	cfg := s3.Config{Region: "r", Bucket: "b", AccessKey: "AK", SecretKey: "very-secret-key"}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", &cfg), cfg.LogValue().String()} {
		if strings.Contains(s, "very-secret-key") {
			t.Fatalf("secret shown: %s", s)
		}
	}
	if _, err := s3.New(s3.Config{Region: "r", Bucket: "b", SecretKey: "very-secret-key", RegionEndpoint: "ftp://x"}); err == nil || strings.Contains(err.Error(), "very-secret-key") {
		t.Fatalf("bad endpoint: %v", err)
	}
}
