package s3

import (
	"bytes"
	"context"
	"errors"
	"hash"
	"io"
	"sort"
	"time"

	"github.com/minio/minio-go/v7"
	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/registry/storage"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func sortStrings(s []string) { sort.Strings(s) }

// readChunk reads up to n bytes of r into buf (reset first). full reports
// that buf holds n bytes and r may have more; err is r's own error (a
// client's body, passed on unwrapped).
func readChunk(buf *bytes.Buffer, r io.Reader, n int64) (full bool, err error) {
	buf.Reset()
	m, err := buf.ReadFrom(io.LimitReader(r, n))
	return m == n, err
}

// putVerified stores what r yields at key, only if it hashes to dg
// (storage.ErrDigestMismatch otherwise, and nothing is stored). Up to one
// chunk is held in memory and PUT once; more goes into a multipart upload,
// a chunk at a time, which is completed only when the digest matches, so
// no reader ever sees unverified content at key. It returns the bytes read.
func (d *Driver) putVerified(ctx context.Context, key string, dg digest.Digest, r io.Reader) (int64, error) {
	return d.putStream(ctx, key, r, func(h digest.Digest) error {
		if h != dg {
			return storage.ErrDigestMismatch
		}
		return nil
	}, dg.Algorithm(), minio.PutObjectOptions{ContentType: "application/octet-stream"})
}

// putStream stores r at key with put options opts, calling check with
// r's digest (in algorithm alg) before the object is made visible; an
// error from check stores nothing. A nil check hashes nothing.
func (d *Driver) putStream(ctx context.Context, key string, r io.Reader, check func(digest.Digest) error, alg digest.Algorithm, opts minio.PutObjectOptions) (int64, error) {
	var h hash.Hash = discard{}
	if check == nil {
		check = func(digest.Digest) error { return nil }
	} else {
		h = alg.Hash()
	}
	var buf bytes.Buffer
	full, err := readChunk(&buf, r, d.cfg.ChunkSize)
	if err != nil {
		return int64(buf.Len()), err
	}
	h.Write(buf.Bytes())
	if !full {
		n := int64(buf.Len())
		if err := check(digest.NewDigest(alg, h)); err != nil {
			return n, err
		}
		if err := d.putSmall(ctx, key, buf.Bytes(), opts); err != nil {
			if isPreconditionFailed(err) {
				return n, errExists
			}
			return n, d.fail("put", key, err)
		}
		return n, nil
	}

	// More than a chunk: a multipart upload, invisible until completed.
	id, err := d.core.NewMultipartUpload(ctx, d.bucket, key, opts)
	if err != nil {
		return int64(buf.Len()), d.fail("create multipart upload", key, err)
	}
	completed := false
	defer func() {
		if !completed { // best effort: the store may be the thing that failed
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = d.core.AbortMultipartUpload(actx, d.bucket, key, id)
		}
	}()
	var parts []minio.CompletePart
	var total int64
	for {
		n := int64(buf.Len())
		p, err := d.core.PutObjectPart(ctx, d.bucket, key, id, len(parts)+1, bytesReader(buf.Bytes()), n, minio.PutObjectPartOptions{})
		if err != nil {
			return total, d.fail("upload part", key, err)
		}
		total += n
		parts = append(parts, minio.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag})
		full, err = readChunk(&buf, r, d.cfg.ChunkSize)
		if err != nil {
			return total + int64(buf.Len()), err
		}
		h.Write(buf.Bytes())
		if buf.Len() == 0 {
			break
		}
		if !full {
			// The last, short part: upload it, then stop.
			n := int64(buf.Len())
			p, err := d.core.PutObjectPart(ctx, d.bucket, key, id, len(parts)+1, bytesReader(buf.Bytes()), n, minio.PutObjectPartOptions{})
			if err != nil {
				return total, d.fail("upload part", key, err)
			}
			total += n
			parts = append(parts, minio.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag})
			break
		}
	}
	if err := check(digest.NewDigest(alg, h)); err != nil {
		return total, err
	}
	if _, err := d.core.CompleteMultipartUpload(ctx, d.bucket, key, id, parts, opts); err != nil {
		if isPreconditionFailed(err) {
			return total, errExists
		}
		return total, d.fail("complete multipart upload", key, err)
	}
	completed = true
	return total, nil
}

// discard is a hash.Hash that hashes nothing, for writes with no check.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) Sum(b []byte) []byte         { return b }
func (discard) Reset()                      {}
func (discard) Size() int                   { return 0 }
func (discard) BlockSize() int              { return 1 }

// errExists: a conditional write found the key already written.
var errExists = errors.New("s3: object exists")

// copyInto makes dst the concatenation of srcs, server-side: one copy when
// a single source is at most the multipart-copy threshold, else a
// multipart copy of multipartcopychunksize parts, multipartcopymaxconcurrency
// at a time. The caller checked that srcs are composable.
func (d *Driver) copyInto(ctx context.Context, dst string, srcs []part) error {
	dstOpts := minio.CopyDestOptions{Bucket: d.bucket, Object: dst, ContentType: "application/octet-stream", ReplaceMetadata: true}
	if len(srcs) == 1 && srcs[0].size <= d.cfg.MultipartCopyThresholdSize {
		_, err := d.client.CopyObject(ctx, dstOpts, minio.CopySrcOptions{Bucket: d.bucket, Object: srcs[0].key})
		return d.fail("copy", dst, err)
	}
	dstOpts.PartSize = uint64(d.cfg.MultipartCopyChunkSize)
	dstOpts.NumThreads = uint(d.cfg.MultipartCopyMaxConcurrency)
	cs := make([]minio.CopySrcOptions, len(srcs))
	for i, s := range srcs {
		cs[i] = minio.CopySrcOptions{Bucket: d.bucket, Object: s.key}
	}
	_, err := d.client.ComposeObject(ctx, dstOpts, cs...)
	return d.fail("compose", dst, err)
}

// composable reports whether parts can be joined by a server-side
// multipart copy: S3 wants every part but the last to be at least
// MinChunkSize, and each source is split into even ranges of at most the
// copy chunk size (as minio-go's ComposeObject does).
func (d *Driver) composable(parts []part) bool {
	if len(parts) == 0 {
		return false
	}
	if len(parts) == 1 && parts[0].size <= d.cfg.MultipartCopyThresholdSize {
		return true // one plain copy
	}
	chunk := d.cfg.MultipartCopyChunkSize
	for i, p := range parts {
		ranges := (p.size + chunk - 1) / chunk
		if ranges == 0 {
			return false
		}
		smallest := p.size / ranges
		last := i == len(parts)-1
		if smallest < MinChunkSize && !(last && ranges == 1) {
			return false
		}
	}
	return true
}
