package filesystem

import (
	"errors"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// New blob bytes are written with O_DIRECT where the filesystem takes it:
// from the copy buffer straight to the device, past the page cache. A
// pushed layer is rarely read again soon, and filling the page cache
// costs more than the copy: on a virtual machine whose freed memory goes
// back to the host (virtio-balloon free page reporting), every page the
// cache grows into is faulted in again from the host, and buffered writes
// of new files ran at 316 MB/s there against 1.3-1.8 GB/s direct (1 MiB
// files, 0.3-0.5 ms of CPU per MiB direct against 3.4 ms buffered).
//
// Only whole aligned blocks go direct: a write starting at an aligned
// offset from an aligned buffer (the copy buffers are) sends its aligned
// part direct and the rest buffered; anything else is buffered. A
// filesystem that refuses O_DIRECT (EINVAL, as tmpfs on older kernels
// does) is asked once: the driver then writes buffered only.
const directAlign = 4096

// alignedBuf returns n bytes starting at a directAlign boundary.
func alignedBuf(n int) []byte {
	b := make([]byte, n+directAlign)
	skip := (directAlign - int(uintptr(unsafe.Pointer(unsafe.SliceData(b)))%directAlign)) % directAlign
	return b[skip : skip+n : skip+n]
}

func isAligned(p []byte) bool {
	return uintptr(unsafe.Pointer(unsafe.SliceData(p)))%directAlign == 0
}

// posWriter writes to descriptor fd from offset off on, direct where it
// can (see above).
type posWriter struct {
	fd       int
	off      int64
	direct   bool         // O_DIRECT is set on fd now
	buffered *atomic.Bool // the driver's: the filesystem refused O_DIRECT
}

func (w *posWriter) Write(p []byte) (int, error) {
	n := 0
	if k := len(p) &^ (directAlign - 1); k > 0 && w.off%directAlign == 0 && isAligned(p) && !w.buffered.Load() {
		var err error
		if err = w.setDirect(true); err == nil {
			n, err = pwriteAll(w.fd, p[:k], w.off)
			w.off += int64(n)
		}
		switch {
		case err == nil:
		case n == 0 && errors.Is(err, errDirectRefused):
			w.buffered.Store(true) // nothing written: buffered it is, from now on
		default:
			return n, err
		}
	}
	if n < len(p) {
		if err := w.setDirect(false); err != nil {
			return n, err
		}
		m, err := pwriteAll(w.fd, p[n:], w.off)
		n += m
		w.off += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (w *posWriter) setDirect(on bool) error {
	if w.direct == on {
		return nil
	}
	if err := setDirect(w.fd, on); err != nil {
		return err
	}
	w.direct = on
	return nil
}

// pwriteAll writes all of p at off.
func pwriteAll(fd int, p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Pwrite(fd, p[n:], off+int64(n))
		if m > 0 {
			n += m
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return n, &os.PathError{Op: "write", Path: "blob file", Err: err}
		}
		if m == 0 {
			return n, &os.PathError{Op: "write", Path: "blob file", Err: unix.EIO}
		}
	}
	return n, nil
}
