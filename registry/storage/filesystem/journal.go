package filesystem

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
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
	manifests map[id]entry
	tags      map[string]id
	others    map[id]digest.Digest // the digests that are not sha256, see idOf
	referrers map[digest.Digest]map[digest.Digest]struct{}
	subjects  map[id]digest.Digest // of the manifests that have one
	kinds     map[kind]*kind       // shared by entries, at most maxKinds
}

// entry is a manifest in the journal: only what lookups need, since a
// repository holds one per manifest for as long as the process runs. The
// rest of the descriptor (annotations, and anything the common case does
// not have) stays in the record's metadata on disk and is read on demand.
type entry struct {
	kind    *kind
	off     int64  // content in the journal file; the metadata ends here
	meta, n uint32 // lengths of the record's metadata and content
}

// id is a manifest digest as a map key: the 32 bytes of a sha256 digest
// (nearly every one), a fifth of the digest's text; another algorithm's
// digest is keyed by a hash of its text, kept in journal.others.
type id [32]byte

// idOf returns dg's id, and whether dg is a sha256 digest (else its text
// must be kept to turn the id back into it).
func idOf(dg digest.Digest) (k id, sha bool) {
	const prefix = "sha256:"
	if s := string(dg); storage.IsSHA256(s) {
		if _, err := hex.Decode(k[:], []byte(s[len(prefix):])); err == nil {
			return k, true
		}
	}
	return sha256.Sum256([]byte("other digest\x00" + string(dg))), false
}

// find looks a manifest up by digest.
func (j *journal) find(dg digest.Digest) (id, entry, bool) {
	k, sha := idOf(dg)
	e, ok := j.manifests[k]
	if ok {
		// Guards against a hash of another digest's text that equals a
		// sha256 digest, however unlikely.
		other, isOther := j.others[k]
		ok = sha != isOther && (!isOther || other == dg)
	}
	return k, e, ok
}

// digestOf turns an id of a stored manifest back into its digest.
func (j *journal) digestOf(k id) digest.Digest {
	if dg, ok := j.others[k]; ok {
		return dg
	}
	return digest.Digest("sha256:" + hex.EncodeToString(k[:]))
}

// kind is a manifest's media and artifact type; a repository has few
// distinct ones, so entries share them.
type kind struct {
	mediaType, artifactType string
	onDisk                  bool // the descriptor is more than an entry rebuilds: read the metadata
}

// maxKinds bounds a journal's shared kinds; beyond it (a client making up
// types) each entry gets its own.
const maxKinds = 1024

// rec is the size of the record holding the entry's content.
func (e entry) rec() int64 { return headerSize + int64(e.meta) + int64(e.n) }

func (j *journal) newEntry(desc *v1.Descriptor, off int64, meta, n uint32) entry {
	k := kind{
		mediaType:    canonical(desc.MediaType),
		artifactType: canonical(desc.ArtifactType),
		onDisk: len(desc.Annotations) > 0 || len(desc.URLs) > 0 || desc.Platform != nil ||
			desc.Data != nil || desc.Size != int64(n),
	}
	shared := j.kinds[k]
	if shared == nil {
		k.mediaType, k.artifactType = strings.Clone(k.mediaType), strings.Clone(k.artifactType)
		shared = &k
		if len(j.kinds) < maxKinds {
			j.kinds[k] = shared
		}
	}
	return entry{kind: shared, off: off, meta: meta, n: n}
}

// plain is the descriptor of an entry that is not onDisk.
func (e entry) plain(dg digest.Digest) v1.Descriptor {
	return v1.Descriptor{MediaType: e.kind.mediaType, Digest: dg, Size: int64(e.n), ArtifactType: e.kind.artifactType}
}

// canonical returns the package constant equal to a well-known media type,
// so the many entries naming it share one string instead of a copy each.
func canonical(mt string) string {
	switch mt {
	case v1.MediaTypeImageManifest:
		return v1.MediaTypeImageManifest
	case v1.MediaTypeImageIndex:
		return v1.MediaTypeImageIndex
	case v1.MediaTypeImageConfig:
		return v1.MediaTypeImageConfig
	case v1.MediaTypeEmptyJSON:
		return v1.MediaTypeEmptyJSON
	case storage.MediaTypeDockerManifest:
		return storage.MediaTypeDockerManifest
	case storage.MediaTypeDockerManifestList:
		return storage.MediaTypeDockerManifestList
	case storage.MediaTypeDockerConfig:
		return storage.MediaTypeDockerConfig
	}
	return mt
}

// descriptor rebuilds the manifest's descriptor, reading the record's
// metadata when the entry alone cannot; the caller holds j.mu or owns j.
func (j *journal) descriptor(dg digest.Digest, e entry) (v1.Descriptor, error) {
	if !e.kind.onDisk {
		return e.plain(dg), nil
	}
	meta := make([]byte, e.meta)
	if _, err := j.f.ReadAt(meta, e.off-int64(e.meta)); err != nil {
		return v1.Descriptor{}, fmt.Errorf("filesystem: reading manifest %s: %w", dg, err)
	}
	var rec record
	if err := json.Unmarshal(meta, &rec); err != nil || rec.Descriptor == nil {
		return v1.Descriptor{}, fmt.Errorf("filesystem: manifest %s: unreadable record metadata", dg)
	}
	return *rec.Descriptor, nil
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
		manifests: map[id]entry{},
		tags:      map[string]id{},
		others:    map[id]digest.Digest{},
		referrers: map[digest.Digest]map[digest.Digest]struct{}{},
		subjects:  map[id]digest.Digest{},
		kinds:     map[kind]*kind{},
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
		j.apply(rec, off+headerSize+ml, uint32(ml), uint32(cl))
		off += headerSize + ml + cl
	}
	j.size = off
	if fi, err := j.f.Stat(); err != nil {
		return err
	} else if fi.Size() > off {
		return j.f.Truncate(off)
	}
	return nil
}

// apply updates memory for a record whose content (if any) is n bytes at
// off, right after meta bytes of metadata.
func (j *journal) apply(rec record, off int64, meta, n uint32) {
	size := headerSize + int64(meta) + int64(n)
	switch rec.Op {
	case "put":
		if rec.Descriptor == nil {
			return
		}
		dg := rec.Descriptor.Digest
		k, old, stored := j.find(dg)
		if n > 0 || !stored {
			if stored {
				j.dead += old.rec()
			}
			j.manifests[k] = j.newEntry(rec.Descriptor, off, meta, n)
			if _, sha := idOf(dg); !sha {
				j.others[k] = dg
			}
			if rec.Subject != "" {
				j.subjects[k] = rec.Subject
			} else {
				delete(j.subjects, k)
			}
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
			// A copy: t may be a slice of a whole request line, and
			// assigning to a string key stores the new key.
			j.tags[strings.Clone(t)] = k
		}
	case "untag":
		delete(j.tags, rec.Tag)
		j.dead += size
	case "delete":
		k, e, ok := j.find(rec.Digest)
		if !ok {
			j.dead += size
			return
		}
		j.dead += e.rec()
		if subject, ok := j.subjects[k]; ok {
			delete(j.referrers[subject], rec.Digest)
			if len(j.referrers[subject]) == 0 {
				delete(j.referrers, subject)
			}
			delete(j.subjects, k)
		}
		delete(j.manifests, k)
		delete(j.others, k)
		for t, d := range j.tags {
			if d == k {
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
	if uint64(len(meta)) > math.MaxUint32 || uint64(len(content)) > math.MaxUint32 {
		return nil, errors.New("filesystem: manifest too large for a journal record")
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
	metaLen := len(buf) - headerSize - len(content)
	j.apply(rec, j.size+headerSize+int64(metaLen), uint32(metaLen), uint32(len(content)))
	j.size += int64(len(buf))
	return nil
}

func (j *journal) put(m storage.Manifest, tags []string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	desc := m.Descriptor
	content := m.Content
	if _, _, ok := j.find(desc.Digest); ok {
		content = nil // stored already; this only tags it
	}
	return j.append(record{Op: "put", Descriptor: &desc, Subject: m.Subject, Tags: tags}, content)
}

func (j *journal) get(dg digest.Digest) (storage.Manifest, error) {
	j.mu.Lock()
	k, e, ok := j.find(dg)
	subject := j.subjects[k]
	f := j.f
	j.mu.Unlock()
	if !ok || f == nil {
		return storage.Manifest{}, storage.ErrManifestUnknown
	}
	// Appends never move written bytes, and the file is only replaced
	// (compaction) before the journal is shared, so reads need no lock.
	if e.kind.onDisk {
		return readRecord(f, dg, e, subject)
	}
	m := storage.Manifest{Descriptor: e.plain(dg), Subject: subject, Content: make([]byte, e.n)}
	if _, err := f.ReadAt(m.Content, e.off); err != nil {
		return storage.Manifest{}, fmt.Errorf("filesystem: reading manifest %s: %w", dg, err)
	}
	return m, nil
}

// readRecord reads a manifest's metadata and content with one read.
func readRecord(f *os.File, dg digest.Digest, e entry, subject digest.Digest) (storage.Manifest, error) {
	buf := make([]byte, int(e.meta)+int(e.n))
	if _, err := f.ReadAt(buf, e.off-int64(e.meta)); err != nil {
		return storage.Manifest{}, fmt.Errorf("filesystem: reading manifest %s: %w", dg, err)
	}
	var rec record
	if err := json.Unmarshal(buf[:e.meta], &rec); err != nil || rec.Descriptor == nil {
		return storage.Manifest{}, fmt.Errorf("filesystem: manifest %s: unreadable record metadata", dg)
	}
	return storage.Manifest{Descriptor: *rec.Descriptor, Subject: subject, Content: buf[e.meta:]}, nil
}

func (j *journal) deleteManifest(dg digest.Digest) ([]string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	k, _, ok := j.find(dg)
	if !ok {
		return nil, storage.ErrManifestUnknown
	}
	var tags []string
	for t, d := range j.tags {
		if d == k {
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
	k, ok := j.tags[tag]
	if !ok {
		return "", storage.ErrTagUnknown
	}
	return j.digestOf(k), nil
}

func (j *journal) deleteTag(tag string) (digest.Digest, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	k, ok := j.tags[tag]
	if !ok {
		return "", storage.ErrTagUnknown
	}
	return j.digestOf(k), j.append(record{Op: "untag", Tag: tag}, nil)
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

func (j *journal) referrersOf(subject digest.Digest) ([]v1.Descriptor, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]v1.Descriptor, 0, len(j.referrers[subject]))
	for dg := range j.referrers[subject] {
		_, e, ok := j.find(dg)
		if !ok {
			continue // kept out by a hash clash in find; never in practice
		}
		desc, err := j.descriptor(dg, e)
		if err != nil {
			return nil, err
		}
		out = append(out, desc)
	}
	slices.SortFunc(out, func(a, b v1.Descriptor) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	return out, nil
}

// compact rewrites the journal with only what is live: each manifest once
// (with the tags that point at it), via a temp file renamed into place.
func (j *journal) compact() error {
	byDigest := map[id][]string{}
	for t, d := range j.tags {
		byDigest[d] = append(byDigest[d], t)
	}
	tmp, err := tempFile(filepath.Dir(j.path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	fresh := make(map[id]entry, len(j.manifests))
	var off int64
	for k, e := range j.manifests {
		dg := j.digestOf(k)
		content := make([]byte, e.n)
		if _, err := j.f.ReadAt(content, e.off); err != nil {
			tmp.Close()
			return err
		}
		tags := byDigest[k]
		sort.Strings(tags)
		desc, err := j.descriptor(dg, e)
		if err != nil {
			tmp.Close()
			return err
		}
		buf, err := encode(record{Op: "put", Descriptor: &desc, Subject: j.subjects[k], Tags: tags}, content)
		if err != nil {
			tmp.Close()
			return err
		}
		if _, err := w.Write(buf); err != nil {
			tmp.Close()
			return err
		}
		meta := uint32(len(buf) - headerSize - int(e.n))
		fresh[k] = j.newEntry(&desc, off+headerSize+int64(meta), meta, e.n)
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
