package filesystem

import (
	"errors"
	"os"
	"strconv"

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

// unnamedFile writes straight to its descriptor: no poller registration
// or blocking-mode switch as an *os.File would do.
type unnamedFile struct {
	fd   int
	mode linkMode
}

func openUnnamed(dir string, mode linkMode) (blobFile, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return &unnamedFile{fd: fd, mode: mode}, nil
}

// unnamedUnsupported: the filesystem (or kernel) has no O_TMPFILE.
func unnamedUnsupported(err error) bool {
	return errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL)
}

func (f *unnamedFile) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(f.fd, p[n:])
		if m > 0 {
			n += m
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, &os.PathError{Op: "write", Path: "unnamed blob file", Err: err}
		}
		if m == 0 {
			return n, &os.PathError{Op: "write", Path: "unnamed blob file", Err: unix.EIO}
		}
	}
	return n, nil
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
