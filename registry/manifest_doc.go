package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hookbench/hookbench/registry/storage"
	"mime"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// isIndex reports whether a supported media type lists child manifests.
func isIndex(mt string) bool {
	return mt == v1.MediaTypeImageIndex || mt == storage.MediaTypeDockerManifestList
}

func isOCI(mt string) bool {
	return mt == v1.MediaTypeImageManifest || mt == v1.MediaTypeImageIndex
}

func supportedManifestType(mt string) bool {
	switch mt {
	case v1.MediaTypeImageManifest, v1.MediaTypeImageIndex, storage.MediaTypeDockerManifest, storage.MediaTypeDockerManifestList:
		return true
	}
	return false
}

// manifestDoc is the union of the fields of the four manifest formats that
// the registry looks at.
type manifestDoc struct {
	SchemaVersion *int              `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *v1.Descriptor    `json:"config"`
	Layers        []v1.Descriptor   `json:"layers"`
	Manifests     []v1.Descriptor   `json:"manifests"`
	Subject       *v1.Descriptor    `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
}

// parsedManifest is what the registry needs to know about a manifest.
type parsedManifest struct {
	MediaType    string
	ArtifactType string // for the referrers API
	Annotations  map[string]string
	Subject      *v1.Descriptor
	Blobs        []v1.Descriptor // must exist as blobs in the repository
	Children     []v1.Descriptor // must exist as manifests in the repository
}

// References is what a manifest Action carries: config and layers, or
// child manifests.
func (p *parsedManifest) References() []v1.Descriptor {
	if len(p.Children) > 0 {
		return p.Children
	}
	return p.Blobs
}

// errManifest is a manifest the registry refuses; its text goes to the client.
type errManifest struct{ msg string }

func (e *errManifest) Error() string { return e.msg }

func invalidManifest(format string, args ...any) error {
	return &errManifest{fmt.Sprintf(format, args...)}
}

// parseManifest validates body as a manifest sent with the given
// Content-Type (which may be empty: then the body's mediaType decides).
func parseManifest(contentType string, body []byte) (*parsedManifest, error) {
	var doc manifestDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, invalidManifest("manifest is not valid JSON: %v", err)
	}
	mt := ""
	if supportedManifestType(contentType) {
		mt = contentType // already a bare, lower-case media type: nothing to parse
	} else if contentType != "" {
		parsed, _, err := mime.ParseMediaType(contentType)
		if err != nil {
			return nil, invalidManifest("invalid Content-Type %q", contentType)
		}
		mt = parsed
	}
	switch {
	case mt == "" || mt == "application/json":
		mt = doc.MediaType
		if mt == "" { // OCI allows omitting mediaType; infer from the shape
			if doc.Manifests != nil {
				mt = v1.MediaTypeImageIndex
			} else {
				mt = v1.MediaTypeImageManifest
			}
		}
	case doc.MediaType != "" && doc.MediaType != mt:
		return nil, invalidManifest("mediaType %q in the manifest does not match Content-Type %q", doc.MediaType, mt)
	}
	if !supportedManifestType(mt) {
		return nil, invalidManifest("unsupported manifest media type %q", mt)
	}
	if doc.SchemaVersion == nil || *doc.SchemaVersion != 2 {
		return nil, invalidManifest("schemaVersion must be 2")
	}
	p := &parsedManifest{MediaType: mt, ArtifactType: doc.ArtifactType, Annotations: doc.Annotations}
	if isIndex(mt) {
		if doc.Config != nil || doc.Layers != nil {
			return nil, invalidManifest("an index has no config or layers")
		}
		for i := range doc.Manifests {
			if err := checkDescriptor(&doc.Manifests[i]); err != nil {
				return nil, invalidManifest("manifests: %v", err)
			}
		}
		p.Children = doc.Manifests
	} else {
		if doc.Config == nil {
			return nil, invalidManifest("an image manifest needs a config")
		}
		if doc.Manifests != nil {
			return nil, invalidManifest("an image manifest has no manifests list")
		}
		if err := checkDescriptor(doc.Config); err != nil {
			return nil, invalidManifest("config: %v", err)
		}
		p.Blobs = make([]v1.Descriptor, 0, 1+len(doc.Layers))
		p.Blobs = append(p.Blobs, *doc.Config)
		for i := range doc.Layers {
			if err := checkDescriptor(&doc.Layers[i]); err != nil {
				return nil, invalidManifest("layers: %v", err)
			}
			p.Blobs = append(p.Blobs, doc.Layers[i])
		}
		if p.ArtifactType == "" && mt == v1.MediaTypeImageManifest {
			p.ArtifactType = doc.Config.MediaType
		}
	}
	if doc.Subject != nil {
		if err := checkDescriptor(doc.Subject); err != nil {
			return nil, invalidManifest("subject: %v", err)
		}
		p.Subject = doc.Subject
	}
	return p, nil
}

func checkDescriptor(d *v1.Descriptor) error {
	if _, err := ParseDigest(string(d.Digest)); err != nil {
		return fmt.Errorf("invalid digest %q: %w", d.Digest, err)
	}
	if d.Size < 0 {
		return errors.New("negative size")
	}
	return nil
}

// foreignLayer reports whether a layer is fetched from its URLs rather
// than from the registry, so it need not exist here.
func foreignLayer(d v1.Descriptor) bool {
	return len(d.URLs) > 0
}

// computeDigest digests content with the algorithm of want, or sha256.
func computeDigest(want digest.Digest, content []byte) digest.Digest {
	if want != "" {
		return want.Algorithm().FromBytes(content)
	}
	return digest.SHA256.FromBytes(content)
}
