package filesystem

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"errors"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"time"
)

// An upload's hash state: the SHA-256 state over the first Offset bytes
// (crypto/sha256's digest is an encoding.BinaryMarshaler, as Distribution
// uses it) and when the upload started. Every write brings it up to date,
// so a commit checks the digest without reading the data again. A state
// that is missing, torn or behind the data (a crash between writing data
// and state) is caught up by hashing only the bytes after its offset.
//
// It is kept in an extended attribute of the upload file (stateXattr):
// saving it then costs no new file, and removing the upload removes it.
// Where the filesystem has no user xattrs, or setting one fails, it goes
// to a file beside the upload, <uuid>.state (as before xattrs were used;
// such files are still read).
//
// Layout: magic, started (unix ns), offset, len(state), state, crc32 of
// everything before.
const (
	stateMagic = "hbhs1\n"
	stateXattr = "user.hookbench.hashstate"
)

type hashState struct {
	started time.Time
	offset  int64
	h       hash.Hash // sha256
	// inFile: read from <uuid>.state, which the next save (to the xattr)
	// removes so that it cannot go stale beside it.
	inFile bool
}

func statePath(uploadPath string) string { return uploadPath + ".state" }

func newHashState(started time.Time) *hashState {
	return &hashState{started: started, h: sha256.New()}
}

// loadHashState reads the state of the upload at uploadPath; nil when
// there is none usable.
func loadHashState(uploadPath string) *hashState {
	var buf [256]byte
	if n, err := getxattr(uploadPath, stateXattr, buf[:]); err == nil {
		return decodeHashState(buf[:n])
	}
	return loadStateFile(uploadPath)
}

// loadHashStateOf is loadHashState through the open upload file f.
func loadHashStateOf(f *os.File, uploadPath string) *hashState {
	var buf [256]byte
	if n, err := fgetxattr(f, stateXattr, buf[:]); err == nil {
		return decodeHashState(buf[:n])
	} else if !noXattr(err) {
		return nil // unreadable (e.g. too large): caught up from the data
	}
	return loadStateFile(uploadPath)
}

func loadStateFile(uploadPath string) *hashState {
	b, err := os.ReadFile(statePath(uploadPath))
	if err != nil {
		return nil
	}
	s := decodeHashState(b)
	if s != nil {
		s.inFile = true
	}
	return s
}

func decodeHashState(b []byte) *hashState {
	if len(b) < len(stateMagic)+20+4 || string(b[:len(stateMagic)]) != stateMagic {
		return nil
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil
	}
	p := body[len(stateMagic):]
	s := &hashState{
		started: time.Unix(0, int64(binary.BigEndian.Uint64(p))),
		offset:  int64(binary.BigEndian.Uint64(p[8:])),
		h:       sha256.New(),
	}
	n := binary.BigEndian.Uint32(p[16:])
	if int(n) != len(p)-20 || s.offset < 0 {
		return nil
	}
	if err := s.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(p[20:]); err != nil {
		return nil
	}
	return s
}

func (s *hashState) encode() ([]byte, error) {
	st, err := s.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(stateMagic)+20+len(st)+4)
	b = append(b, stateMagic...)
	b = binary.BigEndian.AppendUint64(b, uint64(s.started.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(s.offset))
	b = binary.BigEndian.AppendUint32(b, uint32(len(st)))
	b = append(b, st...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// save stores the state on the upload file f (at uploadPath), or beside
// it where that fails.
func (s *hashState) save(f *os.File, uploadPath string) error {
	b, err := s.encode()
	if err != nil {
		return err
	}
	if err := fsetxattr(f, stateXattr, b); err != nil {
		s.inFile = true
		return os.WriteFile(statePath(uploadPath), b, 0o644)
	}
	if s.inFile {
		s.inFile = false
		os.Remove(statePath(uploadPath))
	}
	return nil
}

// catchUp hashes the bytes of f from the state's offset to size; a state
// beyond size (the data was cut) starts over.
func (s *hashState) catchUp(f *os.File, size int64) error {
	if s.offset > size {
		s.h.Reset()
		s.offset = 0
	}
	if s.offset == size {
		return nil
	}
	n, err := io.Copy(s.h, io.NewSectionReader(f, s.offset, size-s.offset))
	s.offset += n
	if err == nil && s.offset != size {
		err = errors.New("filesystem: upload shrank while hashing")
	}
	return err
}
