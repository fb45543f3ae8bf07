package load

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media types the load uses.
const (
	MediaTypeBlob     = "application/octet-stream" // what events carry for blobs
	MediaTypeManifest = v1.MediaTypeImageManifest
)

// blobContent makes unique content of at least size bytes for hit n of run.
func blobContent(run string, n uint64, size int) []byte {
	head := fmt.Sprintf("hookbench %s %d\n", run, n)
	if size < len(head) {
		size = len(head)
	}
	b := make([]byte, size)
	copy(b, head)
	// b[i] = 'a' + i%26 after the head: one period by hand, then copies
	// of what is filled, a multiple of 26 long (a byte loop with a
	// division took about a millisecond per MiB).
	h := len(head)
	filled := min(26, size-h)
	for i := h; i < h+filled; i++ {
		b[i] = byte('a' + i%26)
	}
	for h+filled < size {
		filled += copy(b[h+filled:], b[h:h+filled])
	}
	return b
}

// manifestContent makes an OCI image manifest over config and layer, unique
// by an annotation carrying run and n.
func manifestContent(run string, n uint64, config, layer v1.Descriptor) ([]byte, digest.Digest) {
	b := manifestJSON(run, strconv.FormatUint(n, 10), config, layer)
	return b, sha256Digest(b)
}

func manifestJSON(run, seq string, config, layer v1.Descriptor) []byte {
	m := v1.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: v1.MediaTypeImageManifest,
		Config:    config,
		Layers:    []v1.Descriptor{layer},
		Annotations: map[string]string{
			"org.hookbench.run": run,
			"org.hookbench.seq": seq,
		},
	}
	b, err := json.Marshal(m)
	if err != nil { // cannot happen for this fixed shape
		panic(err)
	}
	return b
}

// manifestTemplate is manifestContent for one run, config and layer, cut
// where the sequence number goes: a hit appends three pieces instead of
// marshalling (the load shares the registry's cores, and json.Marshal
// was a tenth of its CPU per manifest push). fill gives exactly
// manifestContent's bytes (TestManifestTemplate).
type manifestTemplate struct{ head, tail []byte }

// seqMark stands for the sequence number while the template is made; it
// needs no JSON escaping, as a decimal number does not.
const seqMark = "hookbench-seq-mark"

// newManifestTemplate returns false when the mark is not found exactly
// once (run or a descriptor contains it): the caller marshals instead.
func newManifestTemplate(run string, config, layer v1.Descriptor) (manifestTemplate, bool) {
	b := manifestJSON(run, seqMark, config, layer)
	mark := []byte(`"` + seqMark + `"`)
	i := bytes.Index(b, mark)
	if i < 0 || bytes.Count(b, mark) != 1 {
		return manifestTemplate{}, false
	}
	return manifestTemplate{head: b[:i+1], tail: b[i+len(mark)-1:]}, true
}

// fill returns the manifest for sequence number n in a new slice (the
// transport may still read a request's body after the answer came, so
// bodies are not reused).
func (t manifestTemplate) fill(n uint64) []byte {
	b := make([]byte, 0, len(t.head)+20+len(t.tail))
	b = append(b, t.head...)
	b = strconv.AppendUint(b, n, 10)
	return append(b, t.tail...)
}

// sha256Digest is digest.FromBytes (SHA-256, the canonical algorithm)
// without go-digest's hash.Hash and fmt.Sprintf.
func sha256Digest(b []byte) digest.Digest {
	sum := sha256.Sum256(b)
	var s [len("sha256:") + 2*sha256.Size]byte
	copy(s[:], "sha256:")
	hex.Encode(s[len("sha256:"):], sum[:])
	return digest.Digest(s[:])
}

// ArtifactType of the artifacts the load pushes.
const ArtifactType = "application/vnd.hookbench.test.artifact"

// indexContent makes an OCI image index over children, unique by run and n.
func indexContent(run string, n uint64, children []v1.Descriptor) ([]byte, digest.Digest) {
	ix := v1.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: v1.MediaTypeImageIndex,
		Manifests: children,
		Annotations: map[string]string{
			"org.hookbench.run": run,
			"org.hookbench.seq": fmt.Sprint(n),
		},
	}
	b, err := json.Marshal(ix)
	if err != nil { // cannot happen for this fixed shape
		panic(err)
	}
	return b, digest.FromBytes(b)
}

// artifactContent makes an OCI artifact manifest (empty config, one layer)
// whose subject is subject, unique by run and n. It returns the
// descriptors a manifest event references: config and layers, not the
// subject.
func artifactContent(run string, n uint64, empty, layer, subject v1.Descriptor) ([]byte, []v1.Descriptor) {
	sub := v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	m := v1.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    v1.MediaTypeImageManifest,
		ArtifactType: ArtifactType,
		Config:       empty,
		Layers:       []v1.Descriptor{layer},
		Subject:      &sub,
		Annotations: map[string]string{
			"org.hookbench.run": run,
			"org.hookbench.seq": fmt.Sprint(n),
		},
	}
	b, err := json.Marshal(m)
	if err != nil { // cannot happen for this fixed shape
		panic(err)
	}
	return b, []v1.Descriptor{empty, layer}
}
