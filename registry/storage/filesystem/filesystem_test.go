package filesystem

import (
	"context"
	_ "crypto/sha512" // for digest.SHA512
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry/storage"
)

func manifest(i int, subject digest.Digest) storage.Manifest {
	content := []byte(fmt.Sprintf(`{"schemaVersion":2,"n":%d}`, i))
	return storage.Manifest{
		Descriptor: v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: digest.FromBytes(content), Size: int64(len(content)), ArtifactType: "a/b"},
		Subject:    subject,
		Content:    content,
	}
}

func open(t *testing.T, root string) *Driver {
	t.Helper()
	d, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestJournalSurvivesRestart: manifests, tags, referrers and deletes are
// all there after reopening the root.
func TestJournalSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := open(t, root)
	m0, m1, m2 := manifest(0, ""), manifest(1, ""), manifest(2, "")
	m2.Subject = m0.Descriptor.Digest
	for _, step := range []error{
		d.ManifestPut(ctx, "a/b", m0, "v0", "latest"),
		d.ManifestPut(ctx, "a/b", m1, "v1"),
		d.ManifestPut(ctx, "a/b", m2),
		d.ManifestPut(ctx, "a/b", m1, "latest"), // re-tag
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	if _, err := d.TagDelete(ctx, "a/b", "v0"); err != nil {
		t.Fatal(err)
	}
	tags, err := d.ManifestDelete(ctx, "a/b", m1.Descriptor.Digest)
	if err != nil || strings.Join(tags, ",") != "latest,v1" {
		t.Fatalf("delete: %v %v", tags, err)
	}
	d.Close()

	d = open(t, root)
	if tags, err := d.Tags(ctx, "a/b"); err != nil || len(tags) != 0 {
		t.Fatalf("tags after restart %v %v", tags, err)
	}
	got, err := d.ManifestGet(ctx, "a/b", m0.Descriptor.Digest)
	if err != nil || string(got.Content) != string(m0.Content) || got.Descriptor.MediaType != v1.MediaTypeImageManifest {
		t.Fatalf("manifest after restart %+v %v", got, err)
	}
	if _, err := d.ManifestGet(ctx, "a/b", m1.Descriptor.Digest); !errors.Is(err, storage.ErrManifestUnknown) {
		t.Fatalf("deleted manifest: %v", err)
	}
	refs, _ := d.Referrers(ctx, "a/b", m0.Descriptor.Digest)
	if len(refs) != 1 || refs[0].Digest != m2.Descriptor.Digest || refs[0].ArtifactType != "a/b" {
		t.Fatalf("referrers after restart %+v", refs)
	}
}

// TestLogTornTail: bytes a crash left after the last record the index
// knows (an append that never got committed) do not disturb reads or
// later appends.
func TestLogTornTail(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := open(t, root)
	m0, m1 := manifest(0, ""), manifest(1, "")
	d.ManifestPut(ctx, "r", m0, "a")
	d.ManifestPut(ctx, "r", m1, "b")
	d.Close()
	f, err := os.OpenFile(filepath.Join(root, "manifests.log"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(`{"repository":"r","descr`))
	f.Close()
	d = open(t, root)
	m2 := manifest(2, "")
	if err := d.ManifestPut(ctx, "r", m2, "c"); err != nil {
		t.Fatal(err)
	}
	d.Close()
	d = open(t, root)
	if tags, _ := d.Tags(ctx, "r"); strings.Join(tags, ",") != "a,b,c" {
		t.Fatalf("tags after torn tail %v", tags)
	}
	for _, m := range []storage.Manifest{m0, m1, m2} {
		if got, err := d.ManifestGet(ctx, "r", m.Descriptor.Digest); err != nil || string(got.Content) != string(m.Content) {
			t.Fatalf("manifest after torn tail %v", err)
		}
	}
}

// TestImportsJournals: a store written before the index (one journal per
// repository) is imported when the index is first created.
func TestImportsJournals(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	j, err := openJournal(filepath.Join(root, "repositories", "a", "b", "_manifests", "journal"))
	if err != nil {
		t.Fatal(err)
	}
	m0, m1 := manifest(0, ""), manifest(1, "")
	m1.Subject = m0.Descriptor.Digest
	m1.Descriptor.Annotations = map[string]string{"k": "v"}
	if err := errors.Join(j.put(m0, []string{"v0", "latest"}), j.put(m1, nil)); err != nil {
		t.Fatal(err)
	}
	j.close()
	d := open(t, root)
	if tags, err := d.Tags(ctx, "a/b"); err != nil || strings.Join(tags, ",") != "latest,v0" {
		t.Fatalf("imported tags %v %v", tags, err)
	}
	refs, err := d.Referrers(ctx, "a/b", m0.Descriptor.Digest)
	if err != nil || len(refs) != 1 || refs[0].Annotations["k"] != "v" {
		t.Fatalf("imported referrers %+v %v", refs, err)
	}
	if got, err := d.ManifestGet(ctx, "a/b", m0.Descriptor.Digest); err != nil || string(got.Content) != string(m0.Content) {
		t.Fatalf("imported manifest: %v", err)
	}
}

// TestSecondWriterRefused: a root is used by one writing driver at a
// time; read-only drivers share it with each other but not with a writer.
func TestSecondWriterRefused(t *testing.T) {
	root := t.TempDir()
	d := open(t, root)
	if _, err := New(root); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second writer: %v", err)
	}
	if _, err := New(root, ReadOnly()); err == nil {
		t.Fatal("read-only beside a writer opened")
	}
	d.Close()
	r1, err := New(root, ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := New(root, ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if err := r1.ManifestPut(context.Background(), "r", manifest(0, ""), "x"); err == nil {
		t.Fatal("write through a read-only driver")
	}
}

// TestConcurrentPushes: parallel blob and manifest pushes into shared and
// separate repositories lose nothing (run with -race).
func TestConcurrentPushes(t *testing.T) {
	ctx := context.Background()
	d := open(t, t.TempDir())
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				repo := fmt.Sprintf("r%d", i%3)
				content := []byte(fmt.Sprintf("blob %d %d", w, i))
				dg := digest.FromBytes(content)
				if _, err := d.BlobPut(ctx, repo, dg, strings.NewReader(string(content))); err != nil {
					t.Error(err)
					return
				}
				m := manifest(w*1000+i, "")
				if err := d.ManifestPut(ctx, repo, m, fmt.Sprintf("w%d-%d", w, i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for r := 0; r < 3; r++ {
		tags, err := d.Tags(ctx, fmt.Sprintf("r%d", r))
		if err != nil {
			t.Fatal(err)
		}
		total += len(tags)
	}
	if total != 200 {
		t.Fatalf("%d tags, want 200", total)
	}
	repos, _ := d.Repositories(ctx)
	if strings.Join(repos, ",") != "r0,r1,r2" {
		t.Fatalf("repositories %v", repos)
	}
}

// TestUnknownRepositoryCostsNothing: reads of made-up names create no
// files and keep no state.
func TestUnknownRepositoryCostsNothing(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := open(t, root)
	d.TagResolve(ctx, "ghost", "x")
	d.ManifestGet(ctx, "ghost", digest.FromString("x"))
	d.Referrers(ctx, "ghost", digest.FromString("x"))
	if _, err := d.Tags(ctx, "ghost"); !errors.Is(err, storage.ErrRepositoryUnknown) {
		t.Fatalf("tags of ghost: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "repositories", "ghost")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ghost directory: %v", err)
	}
	if d.ix.holds("ghost") {
		t.Fatal("ghost is in the index")
	}
}

// TestDescriptorKeptWhole: the parts of a descriptor the in-memory index
// leaves on disk (annotations, URLs, a size other than the content's) come
// back from ManifestGet and Referrers, also after a restart and a
// restart.
func TestDescriptorKeptWhole(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := open(t, root)
	subject := manifest(0, "")
	plain := manifest(1, subject.Descriptor.Digest)
	plain.Descriptor.ArtifactType = v1.MediaTypeImageConfig
	rich := manifest(2, subject.Descriptor.Digest)
	rich.Descriptor.ArtifactType = "application/vnd.example.sbom"
	rich.Descriptor.Annotations = map[string]string{"org.opencontainers.image.created": "2026-11-24T00:00:00Z"}
	rich.Descriptor.URLs = []string{"https://example.invalid/x"}
	rich.Descriptor.Size++ // what a caller says is kept, even when it is not the content's length
	for _, m := range []storage.Manifest{subject, plain, rich} {
		if err := d.ManifestPut(ctx, "r", m, "t"+m.Descriptor.Digest.Encoded()[:8]); err != nil {
			t.Fatal(err)
		}
	}
	check := func(stage string) {
		t.Helper()
		for _, want := range []storage.Manifest{plain, rich} {
			got, err := d.ManifestGet(ctx, "r", want.Descriptor.Digest)
			if err != nil || string(got.Content) != string(want.Content) || got.Subject != want.Subject ||
				fmt.Sprint(got.Descriptor) != fmt.Sprint(want.Descriptor) {
				t.Fatalf("%s: get %+v, want %+v (%v)", stage, got, want, err)
			}
		}
		refs, err := d.Referrers(ctx, "r", subject.Descriptor.Digest)
		if err != nil || len(refs) != 2 {
			t.Fatalf("%s: referrers %+v %v", stage, refs, err)
		}
		for _, r := range refs {
			want := plain.Descriptor
			if r.Digest == rich.Descriptor.Digest {
				want = rich.Descriptor
			}
			if fmt.Sprint(r) != fmt.Sprint(want) {
				t.Fatalf("%s: referrer %+v, want %+v", stage, r, want)
			}
		}
	}
	check("written")
	d.Close()
	d = open(t, root)
	check("restarted")

}

// TestSHA512Manifests: digests of other algorithms than sha256 (kept apart
// in the index) resolve, delete and survive a restart like sha256 ones.
func TestSHA512Manifests(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := open(t, root)
	m256 := manifest(0, "")
	m512 := manifest(1, m256.Descriptor.Digest)
	m512.Descriptor.Digest = digest.SHA512.FromBytes(m512.Content)
	gone := manifest(2, "")
	gone.Descriptor.Digest = digest.SHA512.FromBytes(gone.Content)
	for _, step := range []error{
		d.ManifestPut(ctx, "r", m256, "a"),
		d.ManifestPut(ctx, "r", m512, "b", "c"),
		d.ManifestPut(ctx, "r", gone, "d"),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	if tags, err := d.ManifestDelete(ctx, "r", gone.Descriptor.Digest); err != nil || strings.Join(tags, ",") != "d" {
		t.Fatalf("delete: %v %v", tags, err)
	}
	check := func(stage string) {
		t.Helper()
		for tag, want := range map[string]storage.Manifest{"a": m256, "b": m512, "c": m512} {
			dg, err := d.TagResolve(ctx, "r", tag)
			if err != nil || dg != want.Descriptor.Digest {
				t.Fatalf("%s: tag %s -> %s %v, want %s", stage, tag, dg, err, want.Descriptor.Digest)
			}
			got, err := d.ManifestGet(ctx, "r", dg)
			if err != nil || string(got.Content) != string(want.Content) || got.Descriptor.Digest != dg {
				t.Fatalf("%s: get %s: %+v %v", stage, dg, got, err)
			}
		}
		if _, err := d.ManifestGet(ctx, "r", gone.Descriptor.Digest); !errors.Is(err, storage.ErrManifestUnknown) {
			t.Fatalf("%s: deleted manifest: %v", stage, err)
		}
		// The sha256 digest of the same content is another manifest.
		if _, err := d.ManifestGet(ctx, "r", digest.FromBytes(m512.Content)); !errors.Is(err, storage.ErrManifestUnknown) {
			t.Fatalf("%s: sha256 of the sha512 manifest: %v", stage, err)
		}
		refs, err := d.Referrers(ctx, "r", m256.Descriptor.Digest)
		if err != nil || len(refs) != 1 || refs[0].Digest != m512.Descriptor.Digest {
			t.Fatalf("%s: referrers %+v %v", stage, refs, err)
		}
	}
	check("written")
	d.Close()
	d = open(t, root)
	check("restarted")
	big := make([]byte, 64<<10)
	for i := range 40 {
		content := append([]byte(fmt.Sprintf(`{"n":%d}`, i)), big...)
		m := storage.Manifest{Descriptor: v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: digest.SHA512.FromBytes(content), Size: int64(len(content))}, Content: content}
		if err := d.ManifestPut(ctx, "r", m); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ManifestDelete(ctx, "r", m.Descriptor.Digest); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	d = open(t, root)
	check("after deletes")
}

// TestCommitUsesHashState: a commit checks the digest against the state
// kept while writing, without reading the data again (data changed behind
// the driver's back still commits under the digest of what was written);
// a missing or lagging state is caught up from the data.
func TestCommitUsesHashState(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := open(t, root)
	content := []byte("first chunk, second chunk")
	dg := digest.FromBytes(content)
	id, _ := d.UploadStart(ctx, "r")
	if _, err := d.UploadWrite(ctx, "r", id, 0, strings.NewReader(string(content[:12]))); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UploadWrite(ctx, "r", id, 12, strings.NewReader(string(content[12:]))); err != nil {
		t.Fatal(err)
	}
	path := d.uploadPath("r", id)
	if err := os.WriteFile(path, []byte(strings.Repeat("x", len(content))), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UploadCommit(ctx, "r", id, dg); err != nil {
		t.Fatalf("commit with the state: %v", err)
	}
	if _, err := os.Stat(statePath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("state left after commit: %v", err)
	}

	// No state at all: hashed from the data.
	id2, _ := d.UploadStart(ctx, "r")
	d.UploadWrite(ctx, "r", id2, 0, strings.NewReader(string(content)))
	dropState(t, d.uploadPath("r", id2))
	if _, err := d.UploadCommit(ctx, "r", id2, dg); err != nil {
		t.Fatalf("commit without a state: %v", err)
	}
	// A state behind the data (crash between the two writes), then more data.
	id3, _ := d.UploadStart(ctx, "r")
	d.UploadWrite(ctx, "r", id3, 0, strings.NewReader(string(content[:5])))
	f, _ := os.OpenFile(d.uploadPath("r", id3), os.O_WRONLY|os.O_APPEND, 0)
	f.Write(content[5:12])
	f.Close()
	if _, err := d.UploadWrite(ctx, "r", id3, 12, strings.NewReader(string(content[12:]))); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UploadCommit(ctx, "r", id3, digest.FromString("other")); !errors.Is(err, storage.ErrDigestMismatch) {
		t.Fatalf("wrong digest: %v", err)
	}
	if _, err := d.UploadCommit(ctx, "r", id3, dg); err != nil {
		t.Fatalf("commit with a lagging state: %v", err)
	}
	if n, err := d.BlobStat(ctx, "r", dg); err != nil || n != int64(len(content)) {
		t.Fatalf("blob %d %v", n, err)
	}
}
