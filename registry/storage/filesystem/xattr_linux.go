package filesystem

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// withFd runs fn on f's descriptor without f.Fd's switch to blocking mode.
func withFd(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

func fgetxattr(f *os.File, name string, buf []byte) (int, error) {
	var n int
	err := withFd(f, func(fd int) (err error) {
		n, err = unix.Fgetxattr(fd, name, buf)
		return err
	})
	return n, err
}

func fsetxattr(f *os.File, name string, b []byte) error {
	return withFd(f, func(fd int) error { return unix.Fsetxattr(fd, name, b, 0) })
}

func fremovexattr(f *os.File, name string) error {
	return withFd(f, func(fd int) error { return unix.Fremovexattr(fd, name) })
}

func getxattr(path, name string, buf []byte) (int, error) { return unix.Getxattr(path, name, buf) }

func removexattr(path, name string) error { return unix.Removexattr(path, name) }

// noXattr: the attribute is not there (or the filesystem has none).
func noXattr(err error) bool {
	return errors.Is(err, unix.ENODATA) || errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP)
}
