package filesystem

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/registry/storage"
)

// manifests.log is the store's journal: every change to the index is a
// record there before it is visible, so the bbolt index can lag behind it
// (see overlay.go) and be caught up from it after a crash.
//
// Record: crc32c(kind|payload) uint32, len(payload) uint32, kind byte,
// payload. Strings are uvarint length then bytes. A record that does not
// check out at the end of the log (a crash mid-append) is cut off at open.
//
//	recPut     repo, digest, meta uint32, n uint32, flags byte, mediaType,
//	           artifactType, subject, tags (uvarint count, strings),
//	           meta bytes (recordMeta JSON), n bytes of content
//	recTags    repo, digest, tags
//	recTagDel  repo, tag
//	recDel     repo, digest, subject, tags (those that pointed at it)
//
// Logs written before the journal format held manifest records only
// (metadata then content, found through the index); those bytes all lie
// below the watermark the index keeps, so they are never parsed.
const (
	recPut    byte = 0xb1
	recTags   byte = 0xb2
	recTagDel byte = 0xb3
	recDel    byte = 0xb4

	frameHead = 9
)

// op is one change to the index, as applied to an overlay and as logged.
type op struct {
	kind    byte
	repo    string
	dg      digest.Digest
	v       manifestValue // recPut; off is relative to the record until written
	subject digest.Digest // recDel
	tags    []string      // recPut, recTags, recDel
	tag     string        // recTagDel

	meta, content []byte // recPut
}

// newPutOp is the op storing m in repo, with its index entry.
func newPutOp(repo string, m storage.Manifest, tags []string) (*op, error) {
	desc := m.Descriptor
	onDisk := len(desc.Annotations) > 0 || len(desc.URLs) > 0 || desc.Platform != nil ||
		desc.Data != nil || desc.Size != int64(len(m.Content))
	meta, err := json.Marshal(recordMeta{Repository: repo, Descriptor: &desc, Subject: m.Subject})
	if err != nil {
		return nil, err
	}
	if len(meta) > 1<<30 || len(m.Content) > 1<<30 {
		return nil, errors.New("filesystem: manifest too large")
	}
	v := manifestValue{meta: uint32(len(meta)), n: uint32(len(m.Content)), onDisk: onDisk,
		mediaType: desc.MediaType, artifactType: desc.ArtifactType, subject: m.Subject}
	return &op{kind: recPut, repo: repo, dg: desc.Digest, v: v, tags: tags, meta: meta, content: m.Content}, nil
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrs(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendStr(b, s)
	}
	return b
}

// frame encodes o as a log record. For recPut it sets o.v.off to the
// content's offset within the record.
func (o *op) frame(tab *crc32.Table) []byte {
	n := frameHead + 16 + len(o.repo) + len(o.dg) + len(o.subject) + len(o.tag) + len(o.meta) + len(o.content)
	n += len(o.v.mediaType) + len(o.v.artifactType) + len(o.v.subject) + 16
	for _, t := range o.tags {
		n += len(t) + 2
	}
	b := make([]byte, frameHead, n)
	b[8] = o.kind
	b = appendStr(b, o.repo)
	switch o.kind {
	case recPut:
		b = appendStr(b, string(o.dg))
		b = binary.BigEndian.AppendUint32(b, o.v.meta)
		b = binary.BigEndian.AppendUint32(b, o.v.n)
		flags := byte(0)
		if o.v.onDisk {
			flags = 1
		}
		b = append(b, flags)
		b = appendStr(b, o.v.mediaType)
		b = appendStr(b, o.v.artifactType)
		b = appendStr(b, string(o.v.subject))
		b = appendStrs(b, o.tags)
		o.v.off = int64(len(b) + len(o.meta))
		b = append(b, o.meta...)
		b = append(b, o.content...)
	case recTags:
		b = appendStr(b, string(o.dg))
		b = appendStrs(b, o.tags)
	case recTagDel:
		b = appendStr(b, o.tag)
	case recDel:
		b = appendStr(b, string(o.dg))
		b = appendStr(b, string(o.subject))
		b = appendStrs(b, o.tags)
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-frameHead))
	binary.LittleEndian.PutUint32(b, crc32.Checksum(b[8:], tab))
	return b
}

// decoder reads a record's payload; the first error sticks.
type decoder struct {
	b   []byte
	pos int
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errors.New("malformed record")
	}
}

func (d *decoder) str() string {
	l, k := binary.Uvarint(d.b[d.pos:])
	if d.err != nil || k <= 0 || l > uint64(len(d.b)-d.pos-k) {
		d.fail()
		return ""
	}
	s := string(d.b[d.pos+k : d.pos+k+int(l)])
	d.pos += k + int(l)
	return s
}

func (d *decoder) strs() []string {
	n, k := binary.Uvarint(d.b[d.pos:])
	if d.err != nil || k <= 0 || n > uint64(len(d.b)-d.pos-k) {
		d.fail()
		return nil
	}
	d.pos += k
	var out []string
	for range n {
		out = append(out, d.str())
	}
	return out
}

func (d *decoder) u32() uint32 {
	if d.err != nil || len(d.b)-d.pos < 4 {
		d.fail()
		return 0
	}
	v := binary.BigEndian.Uint32(d.b[d.pos:])
	d.pos += 4
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b)-d.pos < 1 {
		d.fail()
		return 0
	}
	d.pos++
	return d.b[d.pos-1]
}

// decodeOp decodes the payload p of a record of kind found at off in the log.
func decodeOp(kind byte, p []byte, off int64) (*op, error) {
	d := &decoder{b: p}
	o := &op{kind: kind, repo: d.str()}
	switch kind {
	case recPut:
		o.dg = digest.Digest(d.str())
		o.v.meta, o.v.n = d.u32(), d.u32()
		o.v.onDisk = d.byte() == 1
		o.v.mediaType, o.v.artifactType, o.v.subject = d.str(), d.str(), digest.Digest(d.str())
		o.tags = d.strs()
		if d.err == nil && uint64(len(p)-d.pos) != uint64(o.v.meta)+uint64(o.v.n) {
			d.fail()
		}
		o.v.off = off + frameHead + int64(d.pos) + int64(o.v.meta)
	case recTags:
		o.dg = digest.Digest(d.str())
		o.tags = d.strs()
	case recTagDel:
		o.tag = d.str()
	case recDel:
		o.dg = digest.Digest(d.str())
		o.subject = digest.Digest(d.str())
		o.tags = d.strs()
	default:
		return nil, fmt.Errorf("unknown record kind %#x", kind)
	}
	if d.err == nil && kind != recPut && d.pos != len(p) {
		d.fail()
	}
	return o, d.err
}

// scanLog reads the records of r (the log from offset from on, size bytes
// in all) and passes each to fn. It returns where the last whole record
// ends: a torn or garbled record (a crash mid-append) ends the scan there.
// A record that checks out but cannot be understood is an error: it was
// written by something newer or different, and cutting it off would lose
// data.
func scanLog(r io.ReaderAt, from, size int64, tab *crc32.Table, fn func(o *op, start, end int64) error) (int64, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, from, size-from), 1<<20)
	off := from
	var head [frameHead]byte
	var payload []byte
	for {
		if _, err := io.ReadFull(br, head[:]); err != nil {
			return off, nil // the end, or a torn header
		}
		n := int64(binary.LittleEndian.Uint32(head[4:]))
		if n > size-off-frameHead {
			return off, nil
		}
		if int64(cap(payload)) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			return off, nil
		}
		crc := crc32.Update(crc32.Checksum(head[8:], tab), tab, payload)
		if crc != binary.LittleEndian.Uint32(head[:]) {
			return off, nil
		}
		o, err := decodeOp(head[8], payload, off)
		if err != nil {
			return off, fmt.Errorf("filesystem: manifests.log at %d: %w", off, err)
		}
		if err := fn(o, off, off+frameHead+n); err != nil {
			return off, err
		}
		off += frameHead + n
	}
}
