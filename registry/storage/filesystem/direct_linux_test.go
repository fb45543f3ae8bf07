package filesystem

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// TestPosWriter: whatever mix of aligned and unaligned writes, offsets
// and tails, the file holds exactly the bytes written; aligned blocks at
// aligned offsets went direct (O_DIRECT set on the descriptor after them),
// and a driver that found O_DIRECT refused writes buffered only.
func TestPosWriter(t *testing.T) {
	buf := alignedBuf(64 << 10)
	if !isAligned(buf) || len(buf) != 64<<10 {
		t.Fatal("alignedBuf is not aligned")
	}
	for i := range buf {
		buf[i] = byte(i*31 + i>>9)
	}
	// Each write is buf[from:from+n]; from > 0 is an unaligned buffer.
	steps := []struct {
		from, n    int
		directLast bool // the write ends with a direct block, no buffered tail
	}{
		{0, 3 * directAlign, true},
		{0, directAlign + 100, false}, // direct block, buffered tail
		{0, 2 * directAlign, false},   // unaligned offset now: buffered
		{0, 8 * directAlign, false},
		{7, directAlign, false}, // unaligned buffer
		{0, 10, false},
	}
	for _, refused := range []bool{false, true} {
		t.Run(fmt.Sprintf("refused=%v", refused), func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "blob"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var flag atomic.Bool
			flag.Store(refused)
			w := &posWriter{fd: int(f.Fd()), buffered: &flag}
			var want []byte
			for i, s := range steps {
				p := buf[s.from : s.from+s.n]
				if n, err := w.Write(p); err != nil || n != len(p) {
					t.Fatalf("step %d: wrote %d, %v", i, n, err)
				}
				want = append(want, p...)
				if s.directLast && !refused {
					fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
					if err != nil || fl&unix.O_DIRECT == 0 || !w.direct {
						t.Fatalf("step %d: O_DIRECT not set after an aligned write (flags %o, %v)", i, fl, err)
					}
				}
				if refused && w.direct {
					t.Fatalf("step %d: direct although refused", i)
				}
			}
			if flag.Load() != refused {
				t.Fatalf("refused flag %v, want %v (this filesystem takes O_DIRECT)", flag.Load(), refused)
			}
			got, err := os.ReadFile(f.Name())
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("file holds %d bytes (%v), want the %d written", len(got), err, len(want))
			}
		})
	}
}

// TestPosWriterAtOffset: an upload's later PATCH writes at the file's end,
// after what an earlier one left.
func TestPosWriterAtOffset(t *testing.T) {
	buf := alignedBuf(4 * directAlign)
	for i := range buf {
		buf[i] = byte(i)
	}
	path := filepath.Join(t.TempDir(), "upload")
	if err := os.WriteFile(path, []byte("earlier"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &posWriter{fd: int(f.Fd()), off: 7, buffered: new(atomic.Bool)}
	if _, err := w.Write(buf); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, append([]byte("earlier"), buf...)) {
		t.Fatalf("file holds %d bytes, want earlier + %d", len(got), len(buf))
	}
}

// TestDriverDirectWrites: a driver on a local filesystem writes direct
// unless told Buffered, and stores blobs either way.
func TestDriverDirectWrites(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		var opts []Option
		if buffered {
			opts = append(opts, Buffered())
		}
		root := t.TempDir()
		d, err := New(root, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if networked(root) {
			t.Fatalf("%s (a temp dir) taken for a network filesystem", root)
		}
		if d.DirectWrites() == buffered {
			t.Fatalf("Buffered()=%v: DirectWrites() = %v", buffered, d.DirectWrites())
		}
		in := content(3<<20+5, 9)
		dg := digest.FromBytes(in)
		if n, err := d.BlobPut(context.Background(), "r", dg, bytes.NewReader(in)); err != nil || n != int64(len(in)) {
			t.Fatalf("BlobPut: %d, %v", n, err)
		}
		got, err := os.ReadFile(d.blobPath(dg))
		if err != nil || !bytes.Equal(got, in) {
			t.Fatalf("stored blob differs (%v)", err)
		}
		if d.DirectWrites() == buffered {
			t.Fatal("a direct write was refused on this filesystem")
		}
		d.Close()
	}
}

// TestNetworkFS: network and FUSE filesystems are told apart from local
// ones by their statfs type.
func TestNetworkFS(t *testing.T) {
	for typ, want := range map[uint32]bool{
		unix.NFS_SUPER_MAGIC: true, 0xFF534D42: true, 0xFE534D42: true, unix.SMB_SUPER_MAGIC: true,
		unix.FUSE_SUPER_MAGIC: true, unix.V9FS_MAGIC: true, unix.CEPH_SUPER_MAGIC: true, unix.AFS_SUPER_MAGIC: true,
		unix.EXT4_SUPER_MAGIC: false, unix.XFS_SUPER_MAGIC: false, unix.BTRFS_SUPER_MAGIC: false, unix.TMPFS_MAGIC: false, unix.OVERLAYFS_SUPER_MAGIC: false,
	} {
		if got := networkFS(typ); got != want {
			t.Errorf("networkFS(%#x) = %v, want %v", typ, got, want)
		}
	}
}
