package filesystem

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
)

// blobFile is where BlobPut writes a blob until its digest is verified.
type blobFile interface {
	io.Writer
	// commit gives the content the name dst; an existing dst (the same
	// blob, stored by a concurrent push) is fine. It releases the file,
	// and on failure leaves nothing visible.
	commit(dst string) error
	// discard drops what was written; nothing of it stays visible. Exactly
	// one of commit and discard is called.
	discard()
}

// newBlobFile opens a blobFile in dir (creating dir when missing): an
// unnamed file (O_TMPFILE) where the filesystem has them, which needs
// no random name, no rename and no clean-up; else a hidden temp file.
func (d *Driver) newBlobFile(dir string) (blobFile, error) {
	if d.unnamed != linkNone {
		f, err := openUnnamed(dir, d.unnamed, &d.buffered)
		if errors.Is(err, fs.ErrNotExist) {
			if err = os.MkdirAll(dir, 0o755); err == nil {
				f, err = openUnnamed(dir, d.unnamed, &d.buffered)
			}
		}
		if err == nil || !unnamedUnsupported(err) {
			return f, err
		}
		// This directory's filesystem has no O_TMPFILE: named files it is.
	}
	f, err := tempFile(dir)
	if err != nil {
		return nil, err
	}
	return &namedFile{posWriter: posWriter{fd: int(f.Fd()), buffered: &d.buffered}, f: f}, nil
}

// namedFile is a hidden temp file, linked into place.
type namedFile struct {
	posWriter
	f *os.File
}

// commit links rather than renames: a rename over a blob stored meanwhile
// leaves that blob's inode with no name, and a concurrent push that had
// just found it then fails to link it into its repository (link(2) gives
// ENOENT for an inode with no links).
func (f *namedFile) commit(dst string) error {
	defer os.Remove(f.f.Name())
	if err := f.f.Close(); err != nil {
		return err
	}
	return link(f.f.Name(), dst)
}

func (f *namedFile) discard() {
	f.f.Close()
	os.Remove(f.f.Name())
}

// probeUnnamed finds how unnamed files in dir can be given a name, if at
// all: it makes one, links it and removes it again.
func probeUnnamed(dir string) linkMode {
	for _, m := range []linkMode{linkEmptyPath, linkProc} {
		f, err := openUnnamed(dir, m, new(atomic.Bool))
		if err != nil {
			return linkNone
		}
		name := filepath.Join(dir, ".probe-unnamed")
		os.Remove(name) // left by a crash between the two lines below
		if err = f.commit(name); err == nil {
			os.Remove(name)
			return m
		}
	}
	return linkNone
}
