package filesystem

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry/storage"
)

// A journal holds one repository's manifests and tags as an append-only
// log, replayed into memory when the repository is first used. A manifest
// push is one append (a file per manifest or tag would cost an inode each,
// the dominant cost of a push here); reads are served from memory and, for
// manifest content, one pread.
//
// Record: crc32(meta|content) uint32, len(meta) uint32, len(content)
// uint32, meta (JSON), content. A torn record at the end (a crash mid
// append) is cut off at load. Deleted and superseded records are dropped
// by rewriting the journal at load when they are most of it.
type journal struct {
	path string

	mu        sync.Mutex
	f         *os.File // nil until the first append or when the file is absent
	size      int64
	dead      int64 // bytes of records no longer needed
	manifests map[digest.Digest]*entry
	tags      map[string]digest.Digest
	referrers map[digest.Digest]map[digest.Digest]struct{}
}

// entry is a manifest in the journal.
type entry struct {
	desc    v1.Descriptor
	subject digest.Digest
	off, n  int64 // content in the journal file
	rec     int64 // size of the record holding the content
}

type record struct {
	Op         string         `json:"op"` // put, untag, delete
	Descriptor *v1.Descriptor `json:"descriptor,omitempty"`
	Subject    digest.Digest  `json:"subject,omitempty"`
	Tags       []string       `json:"tags,omitempty"`
	Digest     digest.Digest  `json:"digest,omitempty"`
	Tag        string         `json:"tag,omitempty"`
}

const headerSize = 12

// compactAt: a journal at least this big, and mostly dead, is rewritten at load.
const compactAt = 1 << 20

func openJournal(path string) (*journal, error) {
	j := &journal{
		path:      path,
		manifests: map[digest.Digest]*entry{},
		tags:      map[string]digest.Digest{},
		referrers: map[digest.Digest]map[digest.Digest]struct{}{},
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return nil, err
	}
	j.f = f
	if err := j.replay(); err != nil {
		f.Close()
		return nil, fmt.Errorf("filesystem: journal %s: %w", path, err)
	}
	if j.size >= compactAt && j.dead*2 > j.size {
		if err := j.compact(); err != nil {
			j.close()
			return nil, fmt.Errorf("filesystem: compacting %s: %w", path, err)
		}
	}
	return j, nil
}

func (j *journal) exists() bool { return j.f != nil }

func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// replay loads the file into memory and cuts off a torn tail.
func (j *journal) replay() error {
	r := bufio.NewReaderSize(j.f, 64<<10)
	var off int64
	var hdr [headerSize]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			break // clean end, or torn header
		}
		sum := binary.BigEndian.Uint32(hdr[0:])
		ml := int64(binary.BigEndian.Uint32(hdr[4:]))
		cl := int64(binary.BigEndian.Uint32(hdr[8:]))
		body := make([]byte, ml+cl)
		if _, err := io.ReadFull(r, body); err != nil || crc32.ChecksumIEEE(body) != sum {
			break
		}
		var rec record
		if err := json.Unmarshal(body[:ml], &rec); err != nil {
			break
		}
		size := headerSize + ml + cl
		j.apply(rec, off+headerSize+ml, cl, size)
		off += size
	}
	j.size = off
	if fi, err := j.f.Stat(); err != nil {
		return err
	} else if fi.Size() > off {
		return j.f.Truncate(off)
	}
	return nil
}

// apply updates memory for a record whose content (if any) is n bytes at off.
func (j *journal) apply(rec record, off, n, size int64) {
	switch rec.Op {
	case "put":
		if rec.Descriptor == nil {
			return
		}
		dg := rec.Descriptor.Digest
		if n > 0 || j.manifests[dg] == nil {
			if old := j.manifests[dg]; old != nil {
				j.dead += old.rec
			}
			j.manifests[dg] = &entry{desc: *rec.Descriptor, subject: rec.Subject, off: off, n: n, rec: size}
		} else {
			j.dead += size // a re-tag of a stored manifest
		}
		if rec.Subject != "" {
			set := j.referrers[rec.Subject]
			if set == nil {
				set = map[digest.Digest]struct{}{}
				j.referrers[rec.Subject] = set
			}
			set[dg] = struct{}{}
		}
		for _, t := range rec.Tags {
			j.tags[t] = dg
		}
	case "untag":
		delete(j.tags, rec.Tag)
		j.dead += size
	case "delete":
		if e := j.manifests[rec.Digest]; e != nil {
			j.dead += e.rec
			if e.subject != "" {
				delete(j.referrers[e.subject], rec.Digest)
				if len(j.referrers[e.subject]) == 0 {
					delete(j.referrers, e.subject)
				}
			}
			delete(j.manifests, rec.Digest)
		}
		for t, d := range j.tags {
			if d == rec.Digest {
				delete(j.tags, t)
			}
		}
		j.dead += size
	}
}

// encode builds one record.
func encode(rec record, content []byte) ([]byte, error) {
	meta, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, headerSize, headerSize+len(meta)+len(content))
	buf = append(append(buf, meta...), content...)
	binary.BigEndian.PutUint32(buf[0:], crc32.ChecksumIEEE(buf[headerSize:]))
	binary.BigEndian.PutUint32(buf[4:], uint32(len(meta)))
	binary.BigEndian.PutUint32(buf[8:], uint32(len(content)))
	return buf, nil
}

// append writes one record and applies it; the caller holds j.mu.
func (j *journal) append(rec record, content []byte) error {
	if j.f == nil {
		if err := os.MkdirAll(filepath.Dir(j.path), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(j.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		j.f = f
	}
	buf, err := encode(rec, content)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(buf); err != nil {
		// A short write leaves a torn record; cut it so later appends
		// stay readable.
		j.f.Truncate(j.size)
		return err
	}
	metaLen := int64(len(buf)) - headerSize - int64(len(content))
	j.apply(rec, j.size+headerSize+metaLen, int64(len(content)), int64(len(buf)))
	j.size += int64(len(buf))
	return nil
}

func (j *journal) put(m storage.Manifest, tags []string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	desc := m.Descriptor
	content := m.Content
	if _, ok := j.manifests[desc.Digest]; ok {
		content = nil // stored already; this only tags it
	}
	return j.append(record{Op: "put", Descriptor: &desc, Subject: m.Subject, Tags: tags}, content)
}

func (j *journal) get(dg digest.Digest) (storage.Manifest, error) {
	j.mu.Lock()
	e, ok := j.manifests[dg]
	f := j.f
	var m storage.Manifest
	if ok {
		m = storage.Manifest{Descriptor: e.desc, Subject: e.subject, Content: make([]byte, e.n)}
	}
	j.mu.Unlock()
	if !ok || f == nil {
		return storage.Manifest{}, storage.ErrManifestUnknown
	}
	// Appends never move written bytes, so the read needs no lock.
	if _, err := f.ReadAt(m.Content, e.off); err != nil {
		return storage.Manifest{}, fmt.Errorf("filesystem: reading manifest %s: %w", dg, err)
	}
	return m, nil
}

func (j *journal) deleteManifest(dg digest.Digest) ([]string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.manifests[dg]; !ok {
		return nil, storage.ErrManifestUnknown
	}
	var tags []string
	for t, d := range j.tags {
		if d == dg {
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	if err := j.append(record{Op: "delete", Digest: dg}, nil); err != nil {
		return nil, err
	}
	return tags, nil
}

func (j *journal) resolve(tag string) (digest.Digest, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	dg, ok := j.tags[tag]
	if !ok {
		return "", storage.ErrTagUnknown
	}
	return dg, nil
}

func (j *journal) deleteTag(tag string) (digest.Digest, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	dg, ok := j.tags[tag]
	if !ok {
		return "", storage.ErrTagUnknown
	}
	return dg, j.append(record{Op: "untag", Tag: tag}, nil)
}

func (j *journal) tagList() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	tags := make([]string, 0, len(j.tags))
	for t := range j.tags {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	return tags
}

func (j *journal) referrersOf(subject digest.Digest) []v1.Descriptor {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]v1.Descriptor, 0, len(j.referrers[subject]))
	for dg := range j.referrers[subject] {
		out = append(out, j.manifests[dg].desc)
	}
	slices.SortFunc(out, func(a, b v1.Descriptor) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	return out
}

// compact rewrites the journal with only what is live: each manifest once
// (with the tags that point at it), via a temp file renamed into place.
func (j *journal) compact() error {
	byDigest := map[digest.Digest][]string{}
	for t, d := range j.tags {
		byDigest[d] = append(byDigest[d], t)
	}
	tmp, err := tempFile(filepath.Dir(j.path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	fresh := map[digest.Digest]*entry{}
	var off int64
	for dg, e := range j.manifests {
		content := make([]byte, e.n)
		if _, err := j.f.ReadAt(content, e.off); err != nil {
			tmp.Close()
			return err
		}
		tags := byDigest[dg]
		sort.Strings(tags)
		desc := e.desc
		buf, err := encode(record{Op: "put", Descriptor: &desc, Subject: e.subject, Tags: tags}, content)
		if err != nil {
			tmp.Close()
			return err
		}
		if _, err := w.Write(buf); err != nil {
			tmp.Close()
			return err
		}
		fresh[dg] = &entry{desc: e.desc, subject: e.subject, off: off + int64(len(buf)) - e.n, n: e.n, rec: int64(len(buf))}
		off += int64(len(buf))
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), j.path); err != nil {
		return err
	}
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	j.f.Close()
	j.f, j.size, j.dead, j.manifests = f, off, 0, fresh
	return nil
}
