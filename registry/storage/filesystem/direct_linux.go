package filesystem

import (
	"os"

	"golang.org/x/sys/unix"
)

// errDirectRefused wraps EINVAL from an O_DIRECT switch or write: the
// filesystem (or this alignment) does not take direct I/O.
var errDirectRefused = unix.EINVAL

// setDirect sets or clears O_DIRECT on fd.
func setDirect(fd int, on bool) error {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return &os.PathError{Op: "fcntl", Path: "blob file", Err: err}
	}
	if on {
		fl |= unix.O_DIRECT
	} else {
		fl &^= unix.O_DIRECT
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl); err != nil {
		return &os.PathError{Op: "fcntl O_DIRECT", Path: "blob file", Err: err}
	}
	return nil
}
