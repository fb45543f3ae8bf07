package notifications

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// releaseMapped drops this process's page-table entries for the queue
// file's memory map (MADV_DONTNEED). bbolt reads through that map, and each
// page touched stays resident: an outage of a million events would leave
// the whole file in the process's RSS, although the kernel could drop it
// any time. The pages stay in the page cache; the next read re-maps them.
// It runs inside a read transaction, which holds bbolt's mmap lock: the map
// cannot be moved while it is being advised.
func releaseMapped(db *bolt.DB) error {
	fi, err := os.Stat(db.Path())
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return db.View(func(*bolt.Tx) error {
		f, err := os.Open("/proc/self/maps")
		if err != nil {
			return err
		}
		defer f.Close()
		ranges, err := mappedRanges(f, st.Ino, fi.Name())
		if err != nil {
			return err
		}
		for _, r := range ranges {
			if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, r[0], r[1]-r[0], syscall.MADV_DONTNEED); errno != 0 {
				return fmt.Errorf("madvise %s: %w", db.Path(), errno)
			}
		}
		return nil
	})
}

// mappedRanges finds, in a /proc/<pid>/maps document, the shared mappings
// of the file with inode ino whose path ends in name: [start, end) pairs.
func mappedRanges(maps *os.File, ino uint64, name string) ([][2]uintptr, error) {
	var out [][2]uintptr
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		// address perms offset dev inode pathname
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasSuffix(f[5], "/"+name) || f[4] != strconv.FormatUint(ino, 10) || !strings.HasSuffix(f[1], "s") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("/proc/self/maps: bad address range %q", f[0])
		}
		out = append(out, [2]uintptr{uintptr(start), uintptr(end)})
	}
	return out, sc.Err()
}
