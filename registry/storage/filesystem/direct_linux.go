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

// networked reports whether dir is on a network or FUSE filesystem, where
// an O_DIRECT write is a synchronous round trip the page cache would have
// hidden (NFS write-behind, say).
func networked(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && networkFS(uint32(st.Type))
}

// networkFS reports whether a statfs f_type is a network or FUSE
// filesystem.
func networkFS(typ uint32) bool {
	switch typ {
	case unix.NFS_SUPER_MAGIC, unix.SMB_SUPER_MAGIC, 0xFE534D42 /* SMB2 */, 0xFF534D42, /* CIFS */
		unix.FUSE_SUPER_MAGIC, unix.V9FS_MAGIC, unix.CEPH_SUPER_MAGIC, unix.AFS_SUPER_MAGIC:
		return true
	}
	return false
}
