package filesystem

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	"github.com/hookbench/hookbench/registry/storage"
)

// content returns n bytes that differ with seed.
func content(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// choppy returns at most max bytes per read, varying, so chunk
// boundaries fall everywhere.
type choppy struct {
	r   io.Reader
	rnd *rand.Rand
	max int
}

func (c *choppy) Read(p []byte) (int, error) {
	n := 1 + c.rnd.IntN(c.max)
	if n < len(p) {
		p = p[:n]
	}
	return c.r.Read(p)
}

// failingReader returns its data, then err instead of io.EOF.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		err = f.err
	}
	return n, err
}

// limitedWriter takes at most limit bytes, then fails.
type limitedWriter struct {
	buf   bytes.Buffer
	limit int
}

var errFull = errors.New("writer full")

func (w *limitedWriter) Write(p []byte) (int, error) {
	room := w.limit - w.buf.Len()
	if len(p) <= room {
		return w.buf.Write(p)
	}
	w.buf.Write(p[:room])
	return room, errFull
}

// sizes around every boundary copyHashing has: its read buffer, the
// switch to the pipeline, the pipeline's chunks and how many are in flight.
func copySizes() []int {
	var out []int
	for _, base := range []int{0, copyChunk, pipelineAfter, pipelineAfter + pipeChunk, pipelineAfter + pipeChunk*pipeDepth, 3*pipelineAfter + 5*pipeChunk} {
		for _, delta := range []int{-1, 0, 1} {
			if base+delta >= 0 {
				out = append(out, base+delta)
			}
		}
	}
	sort.Ints(out)
	return slices.Compact(out)
}

// TestCopyHashing: what is written and what is hashed are the input, for
// sizes on every side of the chunk and pipeline boundaries, whole reads or
// choppy ones, and with nothing to write (hash only).
func TestCopyHashing(t *testing.T) {
	for _, size := range copySizes() {
		in := content(size, 1)
		want := sha256.Sum256(in)
		for _, readMax := range []int{0, 7000, 300 << 10} {
			for _, hashOnly := range []bool{false, true} {
				t.Run(fmt.Sprintf("%d/read%d/hashOnly=%v", size, readMax, hashOnly), func(t *testing.T) {
					var r io.Reader = bytes.NewReader(in)
					if readMax > 0 {
						r = &choppy{r: r, rnd: rand.New(rand.NewPCG(2, uint64(size))), max: readMax}
					}
					var out bytes.Buffer
					var w io.Writer = &out
					if hashOnly {
						w = nil
					}
					h := sha256.New()
					n, err := copyHashing(w, h, r)
					if err != nil || n != int64(size) {
						t.Fatalf("copied %d, %v; want %d", n, err, size)
					}
					if !bytes.Equal(h.Sum(nil), want[:]) {
						t.Fatal("wrong hash")
					}
					if !hashOnly && !bytes.Equal(out.Bytes(), in) {
						t.Fatalf("wrote %d bytes, not the input", out.Len())
					}
				})
			}
		}
	}
}

// TestCopyHashingFailures: a reader or writer failing part way stops the
// copy with its error, and the count, the bytes written and the bytes
// hashed all agree (the resumable hash state depends on it), before and
// inside the pipeline.
func TestCopyHashingFailures(t *testing.T) {
	errBody := errors.New("body cut")
	for _, at := range []int{0, 1, copyChunk + 3, pipelineAfter - 1, pipelineAfter + 1, pipelineAfter + 2*pipeChunk + 17} {
		in := content(at+pipeChunk*pipeDepth+100, 3)
		t.Run(fmt.Sprintf("reader%d", at), func(t *testing.T) {
			r := &choppy{r: &failingReader{r: bytes.NewReader(in[:at]), err: errBody}, rnd: rand.New(rand.NewPCG(4, 0)), max: 90 << 10}
			var out bytes.Buffer
			h := sha256.New()
			n, err := copyHashing(&out, h, r)
			if !errors.Is(err, errBody) || n != int64(at) {
				t.Fatalf("copied %d, %v; want %d, %v", n, err, at, errBody)
			}
			want := sha256.Sum256(in[:at])
			if !bytes.Equal(out.Bytes(), in[:at]) || !bytes.Equal(h.Sum(nil), want[:]) {
				t.Fatal("written or hashed bytes differ from what was read")
			}
		})
		// sha256 is hashed as read and rewound on a short write; a hash
		// that cannot be rewound is hashed after the write.
		for name, newHash := range map[string]func() hash.Hash{"": sha256.New, "-plainhash": func() hash.Hash { return plainHash{sha256.New()} }} {
			t.Run(fmt.Sprintf("writer%d%s", at, name), func(t *testing.T) {
				w := &limitedWriter{limit: at}
				h := newHash()
				n, err := copyHashing(w, h, &choppy{r: bytes.NewReader(in), rnd: rand.New(rand.NewPCG(5, 0)), max: 90 << 10})
				if !errors.Is(err, errFull) || n != int64(at) {
					t.Fatalf("copied %d, %v; want %d, %v", n, err, at, errFull)
				}
				want := sha256.Sum256(in[:at])
				if !bytes.Equal(w.buf.Bytes(), in[:at]) || !bytes.Equal(h.Sum(nil), want[:]) {
					t.Fatal("hashed bytes differ from what was written")
				}
			})
		}
	}
}

// plainHash hides the hash's state methods, as a hash that cannot be
// rewound would.
type plainHash struct{ hash.Hash }

// linkModes are the ways of storing a new blob this system supports: the
// probed one first, then the others that work here, named temp files last.
func linkModes(t *testing.T) []linkMode {
	t.Helper()
	d := open(t, t.TempDir())
	if runtime.GOOS == "linux" && d.unnamed == linkNone {
		t.Fatal("no O_TMPFILE on Linux: the unnamed path would go untested")
	}
	modes := []linkMode{d.unnamed}
	for _, m := range []linkMode{linkEmptyPath, linkProc} {
		if m == d.unnamed {
			continue
		}
		if f, err := openUnnamed(d.root, m, new(atomic.Bool)); err == nil {
			name := filepath.Join(d.root, "probe")
			if f.commit(name) == nil {
				modes = append(modes, m)
			}
		}
	}
	if d.unnamed != linkNone {
		modes = append(modes, linkNone)
	}
	return modes
}

// files lists the regular files under root/blobs.
func blobFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(root, "blobs"), func(path string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			out = append(out, strings.TrimPrefix(path, root))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBlobPutModes: with every way of naming a new blob, a good push is
// stored and readable, and a wrong digest, a body cut part way (before or
// inside the pipeline) or concurrent pushes of one blob leave exactly the
// stored blobs: no partial blob, no temp file.
func TestBlobPutModes(t *testing.T) {
	ctx := context.Background()
	for _, mode := range linkModes(t) {
		t.Run(fmt.Sprintf("mode%d", mode), func(t *testing.T) {
			root := t.TempDir()
			d := open(t, root)
			d.unnamed = mode
			for _, size := range []int{0, 1000, pipelineAfter + pipeChunk + 5} {
				in := content(size, 6)
				dg := digest.FromBytes(in)
				bad := content(size+1, 7)
				if _, err := d.BlobPut(ctx, "r", dg, bytes.NewReader(bad)); !errors.Is(err, storage.ErrDigestMismatch) {
					t.Fatalf("%d: wrong body: %v", size, err)
				}
				if size > 0 {
					cut := &failingReader{r: bytes.NewReader(in[:size-1]), err: io.ErrUnexpectedEOF}
					if _, err := d.BlobPut(ctx, "r", dg, cut); !errors.Is(err, io.ErrUnexpectedEOF) {
						t.Fatalf("%d: cut body: %v", size, err)
					}
				}
				if got := blobFiles(t, root); len(got) != 0 {
					t.Fatalf("%d: failed pushes left %v", size, got)
				}
				if _, err := d.BlobStat(ctx, "r", dg); !errors.Is(err, storage.ErrBlobUnknown) {
					t.Fatalf("%d: blob visible after failed pushes: %v", size, err)
				}
				var wg sync.WaitGroup
				for w := range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						n, err := d.BlobPut(ctx, fmt.Sprintf("r%d", w%2), dg, bytes.NewReader(in))
						if err != nil || n != int64(size) {
							t.Errorf("%d: concurrent push: %d %v", size, n, err)
						}
					}()
				}
				wg.Wait()
				for _, repo := range []string{"r0", "r1"} {
					rc, n, err := d.BlobOpen(ctx, repo, dg)
					if err != nil || n != int64(size) {
						t.Fatalf("%d: %s: %d %v", size, repo, n, err)
					}
					got, _ := io.ReadAll(rc)
					rc.Close()
					if !bytes.Equal(got, in) {
						t.Fatalf("%d: %s: stored content differs", size, repo)
					}
				}
				if got := blobFiles(t, root); len(got) != 1 {
					t.Fatalf("%d: files under blobs/: %v", size, got)
				}
				os.RemoveAll(filepath.Join(root, "blobs", "sha256"))
			}
		})
	}
}

// TestBlobFileCommitKeepsStored: a commit onto a name stored meanwhile
// (the same blob, pushed concurrently) keeps the stored inode, in every
// mode. Replacing it would unname the inode a concurrent push had just
// found, and that push's link into its repository would fail with ENOENT.
func TestBlobFileCommitKeepsStored(t *testing.T) {
	for _, mode := range linkModes(t) {
		t.Run(fmt.Sprintf("mode%d", mode), func(t *testing.T) {
			dir := t.TempDir()
			d := open(t, t.TempDir())
			d.unnamed = mode
			dst := filepath.Join(dir, "blob")
			if err := os.WriteFile(dst, []byte("stored"), 0o644); err != nil {
				t.Fatal(err)
			}
			held, err := os.Open(dst)
			if err != nil {
				t.Fatal(err)
			}
			defer held.Close()
			f, err := d.newBlobFile(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("stored")); err != nil {
				t.Fatal(err)
			}
			if err := f.commit(dst); err != nil {
				t.Fatalf("commit onto a stored blob: %v", err)
			}
			fi, err := held.Stat()
			if err != nil {
				t.Fatal(err)
			}
			if n := fi.Sys().(*syscall.Stat_t).Nlink; n != 1 {
				t.Fatalf("stored inode has %d names after the commit, want 1", n)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Fatalf("commit left %d entries, want the blob only", len(ents))
			}
		})
	}
}

// TestBlobPutStoredAgain: a blob stored already is not written again, but
// the body is still checked: a wrong or cut body links nothing into the
// new repository and leaves the stored blob as it was.
func TestBlobPutStoredAgain(t *testing.T) {
	ctx := context.Background()
	for _, size := range []int{10, pipelineAfter + 3*pipeChunk} {
		root := t.TempDir()
		d := open(t, root)
		in := content(size, 8)
		dg := digest.FromBytes(in)
		if _, err := d.BlobPut(ctx, "a", dg, bytes.NewReader(in)); err != nil {
			t.Fatal(err)
		}
		fi0, err := os.Stat(d.blobPath(dg))
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(in)
		bad[size-1] ^= 1
		if _, err := d.BlobPut(ctx, "b", dg, bytes.NewReader(bad)); !errors.Is(err, storage.ErrDigestMismatch) {
			t.Fatalf("wrong body for a stored blob: %v", err)
		}
		cut := &failingReader{r: bytes.NewReader(in[:size/2]), err: io.ErrUnexpectedEOF}
		if _, err := d.BlobPut(ctx, "b", dg, cut); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut body for a stored blob: %v", err)
		}
		if _, err := d.BlobStat(ctx, "b", dg); !errors.Is(err, storage.ErrBlobUnknown) {
			t.Fatalf("failed push linked the blob: %v", err)
		}
		n, err := d.BlobPut(ctx, "b", dg, &choppy{r: bytes.NewReader(in), rnd: rand.New(rand.NewPCG(9, 0)), max: 50 << 10})
		if err != nil || n != int64(size) {
			t.Fatalf("push again: %d %v", n, err)
		}
		fi1, err := os.Stat(d.blobPath(dg))
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(fi0, fi1) {
			t.Fatal("a stored blob was written again")
		}
		if n, err := d.BlobStat(ctx, "b", dg); err != nil || n != int64(size) {
			t.Fatalf("not linked into b: %d %v", n, err)
		}
		got, err := os.ReadFile(d.linkPath("b", dg))
		if err != nil || !bytes.Equal(got, in) {
			t.Fatalf("content in b: %v", err)
		}
	}
}

// TestUploadPipelined: chunked uploads whose chunks cross the pipeline's
// boundaries commit under the right digest without reading the data back
// (the data is changed behind the driver's back before the commit), and a
// PATCH cut part way keeps a state that matches exactly what it wrote.
func TestUploadPipelined(t *testing.T) {
	ctx := context.Background()
	d := open(t, t.TempDir())
	in := content(2*pipelineAfter+3*pipeChunk+11, 10)
	dg := digest.FromBytes(in)
	id, _ := d.UploadStart(ctx, "r")
	cut := pipelineAfter + pipeChunk + 5
	size, err := d.UploadWrite(ctx, "r", id, 0, &failingReader{r: bytes.NewReader(in[:cut]), err: io.ErrUnexpectedEOF})
	if !errors.Is(err, io.ErrUnexpectedEOF) || size != int64(cut) {
		t.Fatalf("cut PATCH: %d %v", size, err)
	}
	next := pipelineAfter + 2*pipeChunk
	size, err = d.UploadWrite(ctx, "r", id, int64(cut), &choppy{r: bytes.NewReader(in[cut : cut+next]), rnd: rand.New(rand.NewPCG(11, 0)), max: 200 << 10})
	if err != nil || size != int64(cut+next) {
		t.Fatalf("second PATCH: %d %v", size, err)
	}
	if size, err = d.UploadWrite(ctx, "r", id, size, bytes.NewReader(in[cut+next:])); err != nil || size != int64(len(in)) {
		t.Fatalf("last PATCH: %d %v", size, err)
	}
	path := d.uploadPath("r", id)
	if err := os.WriteFile(path, make([]byte, len(in)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UploadCommit(ctx, "r", id, digest.FromBytes(make([]byte, len(in)))); !errors.Is(err, storage.ErrDigestMismatch) {
		t.Fatalf("commit read the data back: %v", err)
	}
	if n, err := d.UploadCommit(ctx, "r", id, dg); err != nil || n != int64(len(in)) {
		t.Fatalf("commit: %d %v", n, err)
	}
}

// hasStateXattr says whether path carries an upload hash state attribute.
func hasStateXattr(t *testing.T, path string) bool {
	t.Helper()
	_, err := unix.Getxattr(path, stateXattr, nil)
	if err != nil && !errors.Is(err, unix.ENODATA) {
		t.Fatal(err)
	}
	return err == nil
}

// TestHashStateXattr: the state is kept on the upload file, not beside it;
// a state left in a file by an older version is read, moved to the
// attribute by the next PATCH (the file removed), and survives a restart;
// the committed blob carries no attribute; and the commit does not read
// the data again.
func TestHashStateXattr(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	in := content(3000, 12)
	dg := digest.FromBytes(in)
	id, _ := d.UploadStart(ctx, "r")
	if _, err := d.UploadWrite(ctx, "r", id, 0, bytes.NewReader(in[:1000])); err != nil {
		t.Fatal(err)
	}
	path := d.uploadPath("r", id)
	if !hasStateXattr(t, path) {
		t.Fatal("no state attribute after a PATCH")
	}
	if _, err := os.Stat(statePath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("state file beside the upload: %v", err)
	}
	// As an older version left it: the state in a file only.
	st := loadHashState(path)
	if st == nil || st.offset != 1000 {
		t.Fatalf("state %+v", st)
	}
	b, err := st.encode()
	if err != nil {
		t.Fatal(err)
	}
	dropState(t, path)
	if err := os.WriteFile(statePath(path), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := loadHashState(path); got == nil || got.offset != 1000 || !got.inFile {
		t.Fatalf("state from the file: %+v", got)
	}
	d.Close()
	d = open(t, root) // a restart between PATCHes
	if _, err := d.UploadWrite(ctx, "r", id, 1000, bytes.NewReader(in[1000:2000])); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(statePath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old state file kept: %v", err)
	}
	if st := loadHashState(path); st == nil || st.offset != 2000 || st.inFile {
		t.Fatalf("state after the second PATCH: %+v", st)
	}
	if _, err := d.UploadWrite(ctx, "r", id, 2000, bytes.NewReader(in[2000:])); err != nil {
		t.Fatal(err)
	}
	// Overwritten behind the driver's back, keeping the attribute: the
	// commit must still take the state's word for what was written.
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(make([]byte, len(in)), 0)
	f.Close()
	if n, err := d.UploadCommit(ctx, "r", id, dg); err != nil || n != int64(len(in)) {
		t.Fatalf("commit: %d %v", n, err)
	}
	if hasStateXattr(t, d.blobPath(dg)) {
		t.Fatal("the blob kept the upload's state attribute")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("upload left after commit: %v", err)
	}
}

// TestBlobPutStoredDamaged: a stored blob whose file lost bytes (a crash
// before writeback) is not taken for the pushed one: the push fails and
// drops it, and the next push stores it whole.
func TestBlobPutStoredDamaged(t *testing.T) {
	ctx := context.Background()
	d := open(t, t.TempDir())
	in := content(5000, 13)
	dg := digest.FromBytes(in)
	if _, err := d.BlobPut(ctx, "a", dg, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(d.blobPath(dg), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := d.BlobPut(ctx, "b", dg, bytes.NewReader(in)); err == nil {
		t.Fatal("pushed onto a damaged stored blob")
	}
	if _, err := d.BlobStat(ctx, "b", dg); !errors.Is(err, storage.ErrBlobUnknown) {
		t.Fatalf("damaged blob linked: %v", err)
	}
	if n, err := d.BlobPut(ctx, "b", dg, bytes.NewReader(in)); err != nil || n != int64(len(in)) {
		t.Fatalf("push again: %d %v", n, err)
	}
	got, err := os.ReadFile(d.linkPath("b", dg))
	if err != nil || !bytes.Equal(got, in) {
		t.Fatalf("stored again: %d bytes, %v", len(got), err)
	}
}

// BenchmarkCopy64MiB: one 64 MiB body into an unnamed file beside the
// blobs, hashed inline ("serial") or on a second goroutine ("pipelined");
// wall time and process CPU time per copy.
func BenchmarkCopy64MiB(b *testing.B) {
	d := open(&testing.T{}, b.TempDir())
	in := content(64<<20, 14)
	for _, c := range []struct {
		name  string
		after int64
	}{{"serial", 1 << 62}, {"pipelined", pipelineAfter}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			var ru0, ru1 unix.Rusage
			unix.Getrusage(unix.RUSAGE_SELF, &ru0)
			defer func() {
				unix.Getrusage(unix.RUSAGE_SELF, &ru1)
				cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
				b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			}()
			for range b.N {
				f, err := d.newBlobFile(filepath.Join(d.root, "blobs"))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := copyHashingAfter(f, sha256.New(), &choppy{r: bytes.NewReader(in), rnd: rand.New(rand.NewPCG(1, 2)), max: 128 << 10}, c.after); err != nil {
					b.Fatal(err)
				}
				f.discard()
			}
		})
	}
}

// TestHashStateFileFallback: where the attribute cannot be set, the state
// goes to <uuid>.state and is read from there; the next save that can set
// the attribute removes the file.
func TestHashStateFileFallback(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "upload")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st := newHashState(time.Unix(100, 0))
	st.h.Write([]byte("abc"))
	st.offset = 3
	closed, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close() // setting an attribute through it fails
	if err := st.save(closed, path); err != nil {
		t.Fatal(err)
	}
	if hasStateXattr(t, path) {
		t.Fatal("attribute set through a closed file")
	}
	got := loadHashStateOf(f, path)
	if got == nil || !got.inFile || got.offset != 3 || !got.started.Equal(time.Unix(100, 0)) {
		t.Fatalf("state from the file: %+v", got)
	}
	want := sha256.Sum256([]byte("abc"))
	if !bytes.Equal(got.h.Sum(nil), want[:]) {
		t.Fatal("state from the file hashes differently")
	}
	if err := got.save(f, path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(statePath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("state file kept beside the attribute: %v", err)
	}
	if st := loadHashStateOf(f, path); st == nil || st.inFile || st.offset != 3 {
		t.Fatalf("state from the attribute: %+v", st)
	}
}
