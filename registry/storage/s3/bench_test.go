package s3_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// BenchmarkBlobPut: a 4 KiB blob pushed in one request (PUT blob, PUT
// link), on MinIO over loopback.
func BenchmarkBlobPut(b *testing.B) { benchPush(b, 0) }

// BenchmarkChunkedUpload: a 4 KiB blob in 4 PATCHes (each a LIST and a
// PUT), then commit (LIST, 4 GETs, PUT blob, PUT link, DELETEs).
func BenchmarkChunkedUpload(b *testing.B) { benchPush(b, 4) }

func benchPush(b *testing.B, chunks int) {
	d := newEnv(b).driver()
	ctx := context.Background()
	content := make([]byte, 4<<10)
	b.SetBytes(int64(len(content)))
	for i := 0; b.Loop(); i++ {
		binary.LittleEndian.PutUint64(content, uint64(i))
		dg := digest.FromBytes(content)
		if chunks == 0 {
			if _, err := d.BlobPut(ctx, "bench", dg, bytes.NewReader(content)); err != nil {
				b.Fatal(err)
			}
			continue
		}
		id, err := d.UploadStart(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		step := len(content) / chunks
		for c := range chunks {
			if _, err := d.UploadWrite(ctx, "bench", id, int64(c*step), bytes.NewReader(content[c*step:(c+1)*step])); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := d.UploadCommit(ctx, "bench", id, dg); err != nil {
			b.Fatal(err)
		}
	}
}
