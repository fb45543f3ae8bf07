package s3

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/registry/storage"
)

// An upload session is a marker object naming its repository plus one
// object per PATCH, keyed by the offset it starts at. One LIST tells a
// replica everything about a session; a PATCH is a conditional PUT
// (If-None-Match: *), so two replicas appending at the same offset cannot
// both succeed: the loser answers 416 with the real size.

// part is one stored chunk of an upload.
type part struct {
	key    string
	offset int64
	size   int64
}

// session lists upload id of repository name: its parts in order, or
// storage.ErrUploadUnknown.
func (d *Driver) session(ctx context.Context, name, id string) ([]part, error) {
	prefix := d.uploadPrefix(id)
	owner := d.uploadOwnerKey(id, name)
	found := false
	var parts []part
	var bad error
	err := d.list(ctx, prefix, true, func(o minio.ObjectInfo) bool {
		switch {
		case o.Key == owner:
			found = true
		case strings.HasPrefix(o.Key, prefix+"parts/"):
			off, err := strconv.ParseInt(strings.TrimPrefix(o.Key, prefix+"parts/"), 10, 64)
			if err != nil {
				bad = fmt.Errorf("s3: stray object %s in upload %s", o.Key, id)
				return false
			}
			parts = append(parts, part{key: o.Key, offset: off, size: o.Size})
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, storage.ErrUploadUnknown // never started, finished, or another repository's
	}
	if bad != nil {
		return nil, bad
	}
	// Keys sort by offset (zero-padded). Parts are contiguous by
	// construction; check anyway rather than assemble a corrupt blob.
	var end int64
	for _, p := range parts {
		if p.offset != end {
			return nil, fmt.Errorf("s3: upload %s has a gap or overlap at offset %d", id, end)
		}
		end += p.size
	}
	return parts, nil
}

func sizeOf(parts []part) int64 {
	if len(parts) == 0 {
		return 0
	}
	last := parts[len(parts)-1]
	return last.offset + last.size
}

// UploadStart implements storage.Driver: the session is an object, so
// any replica sharing the bucket can continue it.
func (d *Driver) UploadStart(ctx context.Context, name string) (string, error) {
	id := uuid.NewString()
	key := d.uploadOwnerKey(id, name)
	err := d.putSmall(ctx, key, []byte(time.Now().UTC().Format(time.RFC3339Nano)), minio.PutObjectOptions{ContentType: "text/plain"})
	if err != nil {
		return "", d.fail("put", key, err)
	}
	return id, nil
}

// UploadSize implements storage.Driver.
func (d *Driver) UploadSize(ctx context.Context, name, id string) (int64, error) {
	parts, err := d.session(ctx, name, id)
	if err != nil {
		return 0, err
	}
	return sizeOf(parts), nil
}

// UploadWrite implements storage.Driver. The chunk becomes one object
// (a multipart upload when larger than chunksize). A body that fails part
// way stores nothing, so the size returned is the size before.
func (d *Driver) UploadWrite(ctx context.Context, name, id string, offset int64, r io.Reader) (int64, error) {
	parts, err := d.session(ctx, name, id)
	if err != nil {
		return 0, err
	}
	size := sizeOf(parts)
	if offset >= 0 && offset != size {
		return size, &storage.RangeError{Size: size}
	}
	br := bufio.NewReader(r)
	if _, err := br.Peek(1); err == io.EOF {
		return size, nil // an empty PATCH stores nothing: parts are never empty
	} else if err != nil {
		return size, err
	}
	key := d.partKey(id, size)
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	opts.SetMatchETagExcept("*")                       // first writer at this offset wins
	n, err := d.putStream(ctx, key, br, nil, "", opts) // a chunk has no digest to check
	if err == errExists {
		if now, lerr := d.UploadSize(ctx, name, id); lerr == nil {
			return now, &storage.RangeError{Size: now}
		}
		return size, &storage.RangeError{Size: size}
	}
	if err != nil {
		return size, err
	}
	return size + n, nil
}

// partsReader reads the parts of an upload in order, one GET at a time.
type partsReader struct {
	ctx   context.Context
	d     *Driver
	parts []part
	cur   io.ReadCloser
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if len(p.parts) == 0 {
				return 0, io.EOF
			}
			key := p.parts[0].key
			rc, _, _, err := p.d.core.GetObject(p.ctx, p.d.bucket, key, minio.GetObjectOptions{})
			if err != nil {
				// Gone: another replica committed or cancelled it meanwhile.
				return 0, p.d.notFoundAs("get", key, err, storage.ErrUploadUnknown)
			}
			p.cur = rc
		}
		n, err := p.cur.Read(b)
		if err == io.EOF {
			p.cur.Close()
			p.cur = nil
			p.parts = p.parts[1:]
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err != nil {
			err = p.d.fail("read", p.parts[0].key, err)
		}
		return n, err
	}
}

func (p *partsReader) Close() error {
	if p.cur != nil {
		return p.cur.Close()
	}
	return nil
}

// UploadCommit implements storage.Driver. The parts are hashed first;
// only when they match dg does the blob appear: copied server-side when
// the parts allow a multipart copy, otherwise streamed once more through
// putVerified. The session is removed after the blob is linked; if that
// removal fails the blob is still committed and the leftovers are garbage
// a later commit or cancel of the same id cleans up.
func (d *Driver) UploadCommit(ctx context.Context, name, id string, dg digest.Digest) (int64, error) {
	parts, err := d.session(ctx, name, id)
	if err != nil {
		return 0, err
	}
	size := sizeOf(parts)
	blob := d.blobKey(dg)
	if d.composable(parts) {
		h := dg.Algorithm().Hash()
		pr := &partsReader{ctx: ctx, d: d, parts: parts}
		_, err := io.Copy(h, pr)
		pr.Close()
		if err != nil {
			return size, err
		}
		if digest.NewDigest(dg.Algorithm(), h) != dg {
			return size, storage.ErrDigestMismatch
		}
		if err := d.copyInto(ctx, blob, parts); err != nil {
			return size, err
		}
	} else {
		pr := &partsReader{ctx: ctx, d: d, parts: parts}
		_, err := d.putVerified(ctx, blob, dg, pr)
		pr.Close()
		if err != nil {
			return size, err
		}
	}
	if err := d.link(ctx, name, dg, size); err != nil {
		return size, err
	}
	_ = d.dropSession(ctx, name, id, parts) // the blob is committed either way
	return size, nil
}

// dropSession removes an upload's objects, best effort.
func (d *Driver) dropSession(ctx context.Context, name, id string, parts []part) error {
	keys := make([]string, 0, len(parts)+1)
	for _, p := range parts {
		keys = append(keys, p.key)
	}
	// The marker goes last: while parts remain, the session is still known.
	if err := d.removeAll(ctx, keys); err != nil {
		return err
	}
	key := d.uploadOwnerKey(id, name)
	return d.fail("delete", key, d.remove(ctx, key))
}

// UploadCancel implements storage.Driver.
func (d *Driver) UploadCancel(ctx context.Context, name, id string) error {
	parts, err := d.session(ctx, name, id)
	if err != nil {
		return err
	}
	return d.dropSession(ctx, name, id, parts)
}
