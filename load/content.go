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
