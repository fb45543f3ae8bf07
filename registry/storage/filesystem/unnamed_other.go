//go:build !linux

package filesystem

import (
	"errors"
	"sync/atomic"
)

// linkMode: unnamed files are a Linux feature (O_TMPFILE); elsewhere blobs
// go through named temp files.
type linkMode uint8

const (
	linkNone linkMode = iota
	linkEmptyPath
	linkProc
)

var errNoUnnamed = errors.New("filesystem: no unnamed files on this system")

func openUnnamed(string, linkMode, *atomic.Bool) (blobFile, error) { return nil, errNoUnnamed }

func unnamedUnsupported(err error) bool { return errors.Is(err, errNoUnnamed) }
