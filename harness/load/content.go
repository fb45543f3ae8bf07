package load

import (
	"encoding/json"
	"fmt"

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
	for i := len(head); i < size; i++ {
		b[i] = byte('a' + i%26)
	}
	return b
}

// manifestContent makes an OCI image manifest over config and layer, unique
// by an annotation carrying run and n.
func manifestContent(run string, n uint64, config, layer v1.Descriptor) ([]byte, digest.Digest) {
	m := v1.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: v1.MediaTypeImageManifest,
		Config:    config,
		Layers:    []v1.Descriptor{layer},
		Annotations: map[string]string{
			"org.hookbench.run": run,
			"org.hookbench.seq": fmt.Sprint(n),
		},
	}
	b, err := json.Marshal(m)
	if err != nil { // cannot happen for this fixed shape
		panic(err)
	}
	return b, digest.FromBytes(b)
}
