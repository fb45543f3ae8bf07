//go:build !linux

package filesystem

import "errors"

// linkMode: unnamed files are a Linux feature (O_TMPFILE); elsewhere blobs
// go through named temp files.
type linkMode uint8

const (
	linkNone linkMode = iota
	linkEmptyPath
	linkProc
)

var errNoUnnamed = errors.New("filesystem: no unnamed files on this system")

func openUnnamed(string, linkMode) (blobFile, error) { return nil, errNoUnnamed }

func unnamedUnsupported(err error) bool { return errors.Is(err, errNoUnnamed) }
