package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Mem is a process's resident memory in bytes, from /proc/<pid>/status.
// VmRSS = RssAnon (heap, stacks) + RssFile (mapped files: a bbolt queue
// file's pages count here, and the kernel can drop them) + RssShmem.
type Mem struct {
	VmRSS   int64 `json:"vmRSS"`
	RssAnon int64 `json:"rssAnon"`
	RssFile int64 `json:"rssFile"`
}

// ParseStatus reads the VmRSS, RssAnon and RssFile lines of a
// /proc/<pid>/status document; VmRSS is required.
func ParseStatus(r io.Reader) (Mem, error) {
	var m Mem
	seen := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		key, rest, ok := strings.Cut(line, ":")
		var dst *int64
		switch key {
		case "VmRSS":
			dst, seen = &m.VmRSS, true
		case "RssAnon":
			dst = &m.RssAnon
		case "RssFile":
			dst = &m.RssFile
		}
		if !ok || dst == nil {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return Mem{}, fmt.Errorf("%s: unexpected line %q", key, line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 {
			return Mem{}, fmt.Errorf("%s: bad number in %q", key, line)
		}
		*dst = kb * 1024
	}
	if err := sc.Err(); err != nil {
		return Mem{}, err
	}
	if !seen {
		return Mem{}, fmt.Errorf("no VmRSS line")
	}
	return m, nil
}

// ParseVmRSS returns just VmRSS of a /proc/<pid>/status document.
func ParseVmRSS(r io.Reader) (int64, error) {
	m, err := ParseStatus(r)
	return m.VmRSS, err
}

// ReadMem is the resident memory of process pid.
func ReadMem(pid int) (Mem, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Mem{}, err
	}
	defer f.Close()
	return ParseStatus(f)
}

// listeningInode finds the socket inode listening on port in a
// /proc/net/tcp{,6} document ("" when none).
func listeningInode(r io.Reader, port int) (string, error) {
	sc := bufio.NewScanner(r)
	want := fmt.Sprintf(":%04X", port)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
		if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
			continue
		}
		if strings.HasSuffix(f[1], want) {
			return f[9], nil
		}
	}
	return "", sc.Err()
}

// PIDListening finds the process that listens on TCP port (loopback
// children of this run: the process runtime does not hand out pids).
func PIDListening(port int) (int, error) {
	var inode string
	for _, p := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		inode, err = listeningInode(f, port)
		f.Close()
		if err != nil {
			return 0, err
		}
		if inode != "" {
			break
		}
	}
	if inode == "" {
		return 0, fmt.Errorf("no process listens on port %d", port)
	}
	target := "socket:[" + inode + "]"
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range procs {
		fds, _ := filepath.Glob(dir + "/fd/*")
		for _, fd := range fds {
			if l, err := os.Readlink(fd); err == nil && l == target {
				return strconv.Atoi(filepath.Base(dir))
			}
		}
	}
	return 0, fmt.Errorf("no process owns the socket listening on port %d", port)
}
