package filesystem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"

	"github.com/hookbench/hookbench/registry/storage"
)

// sync moves the whole overlay into bbolt.
func (ix *index) sync(t *testing.T) {
	t.Helper()
	for range 2 {
		if err := ix.flush(); err != nil {
			t.Fatal(err)
		}
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if !ix.active.empty() || ix.frozen != nil {
		t.Fatal("overlay not empty after a flush")
	}
}

// crash closes d like a killed process would leave it: the overlay is
// not moved into bbolt.
func crash(t *testing.T, d *Driver) {
	t.Helper()
	if err := d.ix.shut(false); err != nil {
		t.Fatal(err)
	}
}

// replayed is how many changes an open of root replays past the
// watermark. A read-only open, which runs no indexer: a writable one
// starts moving the replayed changes into bbolt at once, racing a count.
func replayed(t *testing.T, root string) int {
	t.Helper()
	d, err := New(root, ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	return overlaySize(d)
}

func overlaySize(d *Driver) int {
	d.ix.mu.RLock()
	defer d.ix.mu.RUnlock()
	n := d.ix.active.size
	if d.ix.frozen != nil {
		n += d.ix.frozen.size
	}
	return n
}

// inDB reports whether bbolt itself (not the overlay) has the manifest.
func inDB(t *testing.T, d *Driver, repo string, dg digest.Digest) bool {
	t.Helper()
	_, ok, err := d.ix.dbManifest(repo, dg)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// state is what a driver answers, for comparing whole stores.
func state(t *testing.T, d *Driver) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	repos, err := d.Repositories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "repos %v\n", repos)
	for _, r := range repos {
		tags, err := d.Tags(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s tags %v\n", r, tags)
		for _, tag := range tags {
			dg, err := d.TagResolve(ctx, r, tag)
			if err != nil {
				t.Fatal(err)
			}
			m, err := d.ManifestGet(ctx, r, dg)
			if err != nil {
				t.Fatalf("%s:%s -> %s: %v", r, tag, dg, err)
			}
			fmt.Fprintf(&b, "%s:%s %s %s\n", r, tag, dg, m.Content)
		}
	}
	// The walk holds a read transaction: reading the index again from fn
	// could wait for a commit that waits for it.
	type walked struct {
		repo string
		m    storage.Manifest
		tags []string
	}
	var ws []walked
	err = d.WalkManifests(ctx, func(repo string, m storage.Manifest, tags []string) error {
		ws = append(ws, walked{repo, m, tags})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		refs, err := d.Referrers(ctx, w.repo, w.m.Descriptor.Digest)
		if err != nil {
			t.Fatal(err)
		}
		var rs []string
		for _, r := range refs {
			rs = append(rs, string(r.Digest))
		}
		fmt.Fprintf(&b, "walk %s@%s %s tags %v referrers %v\n", w.repo, w.m.Descriptor.Digest, w.m.Content, w.tags, rs)
	}
	return b.String()
}

// TestOverlayShadowsIndex: deletes of manifests and tags that bbolt
// still holds hide them at once, in every read and list; a put again
// brings them back; all of it stays so after the overlay reaches bbolt
// and after a restart.
func TestOverlayShadowsIndex(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := open(t, root)
	m0, m1 := manifest(0, ""), manifest(1, "")
	ref := manifest(2, m0.Descriptor.Digest)
	for _, step := range []error{
		d.ManifestPut(ctx, "r", m0, "a", "b"),
		d.ManifestPut(ctx, "r", m1, "c"),
		d.ManifestPut(ctx, "r", ref, "d"),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	d.ix.sync(t)
	if _, err := d.ManifestDelete(ctx, "r", ref.Descriptor.Digest); err != nil {
		t.Fatal(err)
	}
	tags, err := d.ManifestDelete(ctx, "r", m0.Descriptor.Digest)
	if err != nil || strings.Join(tags, ",") != "a,b" {
		t.Fatalf("delete returned %v %v", tags, err)
	}
	if dg, err := d.TagDelete(ctx, "r", "c"); err != nil || dg != m1.Descriptor.Digest {
		t.Fatalf("tag delete %s %v", dg, err)
	}
	if !inDB(t, d, "r", m0.Descriptor.Digest) || !inDB(t, d, "r", ref.Descriptor.Digest) {
		t.Fatal("bbolt lost the manifests before a flush: the test shadows nothing")
	}
	gone := func(stage string) {
		t.Helper()
		if _, err := d.ManifestGet(ctx, "r", m0.Descriptor.Digest); !errors.Is(err, storage.ErrManifestUnknown) {
			t.Fatalf("%s: deleted manifest: %v", stage, err)
		}
		for _, tag := range []string{"a", "b", "c", "d"} {
			if _, err := d.TagResolve(ctx, "r", tag); !errors.Is(err, storage.ErrTagUnknown) {
				t.Fatalf("%s: deleted tag %s: %v", stage, tag, err)
			}
		}
		if tags, err := d.Tags(ctx, "r"); err != nil || len(tags) != 0 {
			t.Fatalf("%s: tags %v %v", stage, tags, err)
		}
		if refs, err := d.Referrers(ctx, "r", m0.Descriptor.Digest); err != nil || len(refs) != 0 {
			t.Fatalf("%s: referrers %v %v", stage, refs, err)
		}
		if _, err := d.ManifestDelete(ctx, "r", m0.Descriptor.Digest); !errors.Is(err, storage.ErrManifestUnknown) {
			t.Fatalf("%s: deleted twice: %v", stage, err)
		}
		if _, err := d.TagDelete(ctx, "r", "a"); !errors.Is(err, storage.ErrTagUnknown) {
			t.Fatalf("%s: tag deleted twice: %v", stage, err)
		}
		if s := state(t, d); s != "repos [r]\nr tags []\nwalk r@"+string(m1.Descriptor.Digest)+" "+string(m1.Content)+" tags [] referrers []\n" {
			t.Fatalf("%s: state\n%s", stage, s)
		}
	}
	gone("shadowed")
	d.ix.sync(t)
	if inDB(t, d, "r", m0.Descriptor.Digest) {
		t.Fatal("the delete did not reach bbolt")
	}
	gone("flushed")

	// Put again, over a deleted entry in bbolt (then in the overlay too).
	if err := d.ManifestPut(ctx, "r", m0, "a"); err != nil {
		t.Fatal(err)
	}
	if err := d.ManifestPut(ctx, "r", ref); err != nil {
		t.Fatal(err)
	}
	back := func(stage string) {
		t.Helper()
		if dg, err := d.TagResolve(ctx, "r", "a"); err != nil || dg != m0.Descriptor.Digest {
			t.Fatalf("%s: tag a %s %v", stage, dg, err)
		}
		if got, err := d.ManifestGet(ctx, "r", m0.Descriptor.Digest); err != nil || !bytes.Equal(got.Content, m0.Content) {
			t.Fatalf("%s: manifest %v", stage, err)
		}
		if refs, err := d.Referrers(ctx, "r", m0.Descriptor.Digest); err != nil || len(refs) != 1 || refs[0].Digest != ref.Descriptor.Digest {
			t.Fatalf("%s: referrers %v %v", stage, refs, err)
		}
		if tags, err := d.Tags(ctx, "r"); err != nil || strings.Join(tags, ",") != "a" {
			t.Fatalf("%s: tags %v %v", stage, tags, err)
		}
	}
	back("overlay")
	d.ix.sync(t)
	back("flushed")
	d.Close()
	d = open(t, root)
	back("restarted")
}

// TestCrashKeepsEverything: a process killed with changes only in the
// overlay (bbolt behind the log) loses none of them; the reopened store
// answers exactly what the crashed one did, and again after the replayed
// overlay reaches bbolt.
func TestCrashKeepsEverything(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := open(t, root)
	var ms []storage.Manifest
	for i := range 300 {
		subject := digest.Digest("")
		if i%10 == 9 {
			subject = ms[i-1].Descriptor.Digest
		}
		m := manifest(i, subject)
		ms = append(ms, m)
		if err := d.ManifestPut(ctx, fmt.Sprintf("r%d", i%4), m, fmt.Sprintf("t%d", i), fmt.Sprintf("m%d", i%7)); err != nil {
			t.Fatal(err)
		}
		if i == 150 {
			d.ix.sync(t) // half of it in bbolt
		}
	}
	for i := 0; i < 300; i += 3 {
		if _, err := d.ManifestDelete(ctx, fmt.Sprintf("r%d", i%4), ms[i].Descriptor.Digest); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < 300; i += 5 {
		if i%3 == 0 {
			continue // went with its manifest
		}
		if _, err := d.TagDelete(ctx, fmt.Sprintf("r%d", i%4), fmt.Sprintf("t%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	before := state(t, d)
	pending := overlaySize(d)
	if pending == 0 {
		t.Fatal("nothing in the overlay: the test replays nothing")
	}
	crash(t, d)

	if got := replayed(t, root); got != pending {
		t.Fatalf("replayed %d changes, the overlay held %d", got, pending)
	}
	d = open(t, root)
	if after := state(t, d); after != before {
		t.Fatalf("after a crash:\n%s\nwant:\n%s", after, before)
	}
	d.ix.sync(t)
	if after := state(t, d); after != before {
		t.Fatalf("after the replayed overlay reached bbolt:\n%s\nwant:\n%s", after, before)
	}
	d.Close()
	if got := replayed(t, root); got != 0 {
		t.Fatalf("a clean close left %d changes to replay", got)
	}
	d = open(t, root)
	if after := state(t, d); after != before {
		t.Fatalf("after a clean restart:\n%s\nwant:\n%s", after, before)
	}
}

// TestWatermarkReplay: bbolt stores the log offset it is complete up to;
// an open replays exactly the records past it.
func TestWatermarkReplay(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := open(t, root)
	for i := range 10 {
		if err := d.ManifestPut(ctx, "r", manifest(i, ""), fmt.Sprintf("t%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	d.ix.sync(t)
	d.ix.mu.RLock()
	flushedAt := d.ix.logSize
	d.ix.mu.RUnlock()
	m := manifest(10, "")
	if err := d.ManifestPut(ctx, "r", m, "x", "y"); err != nil { // 3 changes
		t.Fatal(err)
	}
	if _, err := d.TagDelete(ctx, "r", "t0"); err != nil { // 1
		t.Fatal(err)
	}
	crash(t, d)

	db, err := bolt.Open(filepath.Join(root, "index.db"), 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var wm int64
	db.View(func(tx *bolt.Tx) error {
		wm, _ = readWatermark(tx)
		return nil
	})
	db.Close()
	if wm != flushedAt {
		t.Fatalf("watermark %d, want %d", wm, flushedAt)
	}
	if got := replayed(t, root); got != 4 {
		t.Fatalf("replayed %d changes, want 4", got)
	}
	d = open(t, root)
	if tags, err := d.Tags(ctx, "r"); err != nil || strings.Join(tags, ",") != "t1,t2,t3,t4,t5,t6,t7,t8,t9,x,y" {
		t.Fatalf("tags %v %v", tags, err)
	}
	if dg, err := d.TagResolve(ctx, "r", "y"); err != nil || dg != m.Descriptor.Digest {
		t.Fatalf("tag y %s %v", dg, err)
	}
}

// TestTornRecord: a record cut short by a crash mid-append is cut off at
// open (the writer's), and ignored without writing by a read-only open;
// what came before it is all there, and later appends follow it.
func TestTornRecord(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	logPath := filepath.Join(root, "manifests.log")
	d := open(t, root)
	m0, m1, m2 := manifest(0, ""), manifest(1, ""), manifest(2, "")
	if err := errors.Join(d.ManifestPut(ctx, "r", m0, "a"), d.ManifestPut(ctx, "r", m1, "b")); err != nil {
		t.Fatal(err)
	}
	d.ix.mu.RLock()
	whole := d.ix.logSize
	d.ix.mu.RUnlock()
	if err := d.ManifestPut(ctx, "r", m2, "c"); err != nil {
		t.Fatal(err)
	}
	crash(t, d)
	fi, _ := os.Stat(logPath)
	torn := fi.Size() - 5 // m2's record, cut short
	if err := os.Truncate(logPath, torn); err != nil {
		t.Fatal(err)
	}
	check := func(d *Driver, stage string) {
		t.Helper()
		if tags, err := d.Tags(ctx, "r"); err != nil || strings.Join(tags, ",") != "a,b" {
			t.Fatalf("%s: tags %v %v", stage, tags, err)
		}
		for _, m := range []storage.Manifest{m0, m1} {
			if got, err := d.ManifestGet(ctx, "r", m.Descriptor.Digest); err != nil || !bytes.Equal(got.Content, m.Content) {
				t.Fatalf("%s: manifest %v", stage, err)
			}
		}
		if _, err := d.ManifestGet(ctx, "r", m2.Descriptor.Digest); !errors.Is(err, storage.ErrManifestUnknown) {
			t.Fatalf("%s: torn manifest: %v", stage, err)
		}
	}

	ro, err := New(root, ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	check(ro, "read-only")
	ro.Close()
	if fi, _ := os.Stat(logPath); fi.Size() != torn {
		t.Fatalf("a read-only open cut the log to %d", fi.Size())
	}

	d = open(t, root)
	check(d, "reopened")
	if fi, _ := os.Stat(logPath); fi.Size() != whole {
		t.Fatalf("log %d bytes after the open, want %d (the torn record cut off)", fi.Size(), whole)
	}
	m3 := manifest(3, "")
	if err := d.ManifestPut(ctx, "r", m3, "d"); err != nil {
		t.Fatal(err)
	}
	crash(t, d)
	d = open(t, root)
	if tags, err := d.Tags(ctx, "r"); err != nil || strings.Join(tags, ",") != "a,b,d" {
		t.Fatalf("tags after an append past the cut %v %v", tags, err)
	}
}

// TestReadOnlyReplays: a read-only open of a store whose bbolt is behind
// the log (the writer was killed) answers from the log's tail, and writes
// nothing: neither the index nor the log change.
func TestReadOnlyReplays(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := open(t, root)
	m0, m1 := manifest(0, ""), manifest(1, "")
	if err := d.ManifestPut(ctx, "r", m0, "a"); err != nil {
		t.Fatal(err)
	}
	d.ix.sync(t)
	if err := d.ManifestPut(ctx, "r", m1, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.TagDelete(ctx, "r", "a"); err != nil {
		t.Fatal(err)
	}
	want := state(t, d)
	crash(t, d)
	files := func() string {
		var b strings.Builder
		for _, f := range []string{"index.db", "manifests.log"} {
			c, err := os.ReadFile(filepath.Join(root, f))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %s\n", f, digest.FromBytes(c))
		}
		return b.String()
	}
	before := files()
	ro, err := New(root, ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	if got := state(t, ro); got != want {
		t.Fatalf("read-only:\n%s\nwant:\n%s", got, want)
	}
	if err := ro.ManifestPut(ctx, "r", manifest(2, "")); !errors.Is(err, errReadOnly) {
		t.Fatalf("read-only put: %v", err)
	}
	ro.Close()
	if after := files(); after != before {
		t.Fatalf("a read-only open wrote:\n%s\nwas:\n%s", after, before)
	}
}

// TestListsMerged: lists merge bbolt and the overlay in order, the
// overlay's changes and deletes winning.
func TestListsMerged(t *testing.T) {
	ctx := context.Background()
	d := open(t, t.TempDir())
	subject := manifest(0, "")
	refs := []storage.Manifest{manifest(1, subject.Descriptor.Digest), manifest(2, subject.Descriptor.Digest), manifest(3, subject.Descriptor.Digest)}
	for _, step := range []error{
		d.ManifestPut(ctx, "b", subject, "t1", "t3", "t5"),
		d.ManifestPut(ctx, "b", refs[0]),
		d.ManifestPut(ctx, "b", refs[1]),
		d.ManifestPut(ctx, "d", manifest(9, "")),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	d.ix.sync(t)
	for _, step := range []error{
		d.ManifestPut(ctx, "b", refs[2], "t0", "t2", "t6", "t3"), // t3 moves
		d.ManifestPut(ctx, "a", manifest(10, "")),
		d.ManifestPut(ctx, "c", manifest(11, "")),
		d.ManifestPut(ctx, "e", manifest(12, "")),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	if _, err := d.TagDelete(ctx, "b", "t5"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ManifestDelete(ctx, "b", refs[0].Descriptor.Digest); err != nil {
		t.Fatal(err)
	}
	if tags, err := d.Tags(ctx, "b"); err != nil || strings.Join(tags, ",") != "t0,t1,t2,t3,t6" {
		t.Fatalf("tags %v %v", tags, err)
	}
	if dg, _ := d.TagResolve(ctx, "b", "t3"); dg != refs[2].Descriptor.Digest {
		t.Fatalf("t3 -> %s", dg)
	}
	if repos, err := d.Repositories(ctx); err != nil || strings.Join(repos, ",") != "a,b,c,d,e" {
		t.Fatalf("repositories %v %v", repos, err)
	}
	if repos, err := d.ix.repositories(); err != nil || !slices.IsSorted(repos) || len(repos) != 5 {
		t.Fatalf("index repositories %v %v", repos, err)
	}
	got, err := d.Referrers(ctx, "b", subject.Descriptor.Digest)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{string(refs[1].Descriptor.Digest), string(refs[2].Descriptor.Digest)}
	slices.Sort(want)
	var gotDs []string
	for _, r := range got {
		gotDs = append(gotDs, string(r.Digest))
	}
	if strings.Join(gotDs, ",") != strings.Join(want, ",") {
		t.Fatalf("referrers %v, want %v", gotDs, want)
	}
	var walked []string
	err = d.WalkManifests(ctx, func(repo string, m storage.Manifest, tags []string) error {
		slices.Sort(tags)
		walked = append(walked, fmt.Sprintf("%s@%s%v", repo, m.Descriptor.Digest, tags))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(walked) || len(walked) != 7 {
		t.Fatalf("walk %v", walked)
	}
	for _, w := range walked {
		switch {
		case strings.HasPrefix(w, "b@"+string(subject.Descriptor.Digest)) && !strings.HasSuffix(w, "[t1]"),
			strings.HasPrefix(w, "b@"+string(refs[2].Descriptor.Digest)) && !strings.HasSuffix(w, "[t0 t2 t3 t6]"),
			strings.HasPrefix(w, "b@"+string(refs[0].Descriptor.Digest)):
			t.Fatalf("walk %v", walked)
		}
	}
	before := state(t, d)
	d.ix.sync(t)
	if after := state(t, d); after != before {
		t.Fatalf("flushed:\n%s\nwant:\n%s", after, before)
	}
}

// TestConcurrentOverlay: writers make more changes than the overlay holds while the
// indexer moves it into bbolt and readers check that nothing acknowledged
// ever goes missing from a read or a list (run with -race).
func TestConcurrentOverlay(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := open(t, root)
	const writers, each = 8, 1100 // 2 changes a put: more than the overlay holds
	if writers*each*2 <= maxOverlay {
		t.Fatal("the load does not fill the overlay")
	}
	var acked sync.Map // "repo tag" -> digest
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var want []string
				acked.Range(func(k, _ any) bool {
					if strings.HasPrefix(k.(string), fmt.Sprintf("r%d ", r)) {
						want = append(want, strings.TrimPrefix(k.(string), fmt.Sprintf("r%d ", r)))
					}
					return true
				})
				tags, err := d.Tags(ctx, fmt.Sprintf("r%d", r))
				if err != nil && !errors.Is(err, storage.ErrRepositoryUnknown) {
					t.Error(err)
					return
				}
				for _, w := range want {
					if _, ok := slices.BinarySearch(tags, w); !ok {
						t.Errorf("acknowledged tag r%d:%s missing from the list", r, w)
						return
					}
					dg, _ := acked.Load(fmt.Sprintf("r%d %s", r, w))
					if got, err := d.TagResolve(ctx, fmt.Sprintf("r%d", r), w); err != nil || got != dg {
						t.Errorf("acknowledged tag r%d:%s -> %s %v", r, w, got, err)
						return
					}
				}
			}
		}()
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				repo := fmt.Sprintf("r%d", (w+i)%3)
				m := manifest(w*100000+i, "")
				tag := fmt.Sprintf("w%d-%d", w, i)
				if err := d.ManifestPut(ctx, repo, m, tag); err != nil {
					t.Error(err)
					return
				}
				acked.Store(repo+" "+tag, m.Descriptor.Digest)
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	check := func(stage string) {
		t.Helper()
		n := 0
		for r := range 3 {
			tags, err := d.Tags(ctx, fmt.Sprintf("r%d", r))
			if err != nil {
				t.Fatal(err)
			}
			n += len(tags)
		}
		if n != writers*each {
			t.Fatalf("%s: %d tags, want %d", stage, n, writers*each)
		}
		walked := 0
		if err := d.WalkManifests(ctx, func(string, storage.Manifest, []string) error { walked++; return nil }); err != nil {
			t.Fatal(err)
		}
		if walked != writers*each {
			t.Fatalf("%s: walked %d manifests, want %d", stage, walked, writers*each)
		}
	}
	check("written")
	crash(t, d)
	d = open(t, root)
	check("after a crash")
}

// BenchmarkReopenAfterCrash is an open after a crash with the overlay
// nearly full (the indexer stopped, so nothing reached bbolt): the
// longest replay an open can meet.
func BenchmarkReopenAfterCrash(b *testing.B) {
	ctx := context.Background()
	root := b.TempDir()
	d, err := New(root)
	if err != nil {
		b.Fatal(err)
	}
	close(d.ix.stopIndexer)
	<-d.ix.indexerDone
	d.ix.stopIndexer = nil
	n := maxOverlay/2 - 1 // two changes a put
	for i := range n {
		if err := d.ManifestPut(ctx, fmt.Sprintf("r%d", i%64), manifest(i, ""), fmt.Sprintf("t%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.ix.shut(false); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		// Read-only: it replays the same tail every time, writing nothing.
		d, err := New(root, ReadOnly())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.TagResolve(ctx, "r1", "t1"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if got := overlaySize(d); got != 2*n {
			b.Fatalf("replayed %d changes, want %d", got, 2*n)
		}
		d.Close()
		b.StartTimer()
	}
}
