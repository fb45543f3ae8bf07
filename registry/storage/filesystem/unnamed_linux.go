package filesystem

import (
	"errors"
	"os"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// linkMode is how an unnamed (O_TMPFILE) file gets its name: linkat of
// the descriptor itself (AT_EMPTY_PATH, which older kernels allow only
// with CAP_DAC_READ_SEARCH), or of its /proc/self/fd entry.
type linkMode uint8

const (
	linkNone linkMode = iota
	linkEmptyPath
	linkProc
)

// unnamedFile writes straight to its descriptor (posWriter): no poller
// registration or blocking-mode switch as an *os.File would do.
type unnamedFile struct {
	posWriter
	mode linkMode
}

func openUnnamed(dir string, mode linkMode, buffered *atomic.Bool) (blobFile, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return &unnamedFile{posWriter: posWriter{fd: fd, buffered: buffered}, mode: mode}, nil
}

// unnamedUnsupported: the filesystem (or kernel) has no O_TMPFILE.
func unnamedUnsupported(err error) bool {
	return errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL)
}

func (f *unnamedFile) commit(dst string) error {
	var err error
	if f.mode == linkEmptyPath {
		err = unix.Linkat(f.fd, "", unix.AT_FDCWD, dst, unix.AT_EMPTY_PATH)
	} else {
		err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(f.fd), unix.AT_FDCWD, dst, unix.AT_SYMLINK_FOLLOW)
	}
	cerr := unix.Close(f.fd)
	switch {
	case err == unix.EEXIST:
		return nil // stored meanwhile by a concurrent push of the same blob
	case err == nil && cerr != nil:
		// Linked, but the close reported a failed write: take the name back.
		os.Remove(dst)
		err = cerr
	}
	if err != nil {
		return &os.LinkError{Op: "linkat", Old: "unnamed blob file", New: dst, Err: err}
	}
	return nil
}

func (f *unnamedFile) discard() { unix.Close(f.fd) }
