package registry

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

var fastSeeds = []string{
	`{}`,
	`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:` + strings.Repeat("a", 64) + `","size":71},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:` + strings.Repeat("b", 64) + `","size":256}],"annotations":{"org.hookbench.run":"abc","org.hookbench.seq":"12"}}`,
	`{ "schemaVersion" : 2 , "manifests" : [ { "mediaType" : "a" , "digest" : "sha256:x" , "size" : -3 , "urls" : [ "u" , "v" ] , "annotations" : { } , "artifactType" : "t" } ] , "x" : [ 1 , true , false , null , { "y" : "z" } , [ ] ] }`,
	`{"schemaVersion":2,"layers":[],"manifests":[],"subject":{"digest":"d"},"artifactType":"a","annotations":{"k":"1","k":"2"}}`,
	// Outside the fast subset: encoding/json decides.
	`{"schemaVersion":2,"MediaType":"x"}`,
	`{"schemaVersion":2,"mediaType":"x","mediaType":"y"}`,
	`{"schemaVersion":2.0}`,
	`{"schemaVersion":1e0}`,
	`{"schemaVersion":02}`,
	`{"schemaVersion":null,"config":null}`,
	`{"mediaType":"caf\u00e9"}`,
	`{"mediaType":"café"}`,
	`{"config":{"platform":{"os":"linux"},"data":"e30="}}`,
	`{"schemaVersion":2} x`,
	`{"schemaVersion":2,}`,
	`[]`,
	`{"schemaVersion":99999999999999999999}`,
	`{"a":{"b":{"c":{"d":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}}}`,
	`{"config":{"Digest":"x"}}`,
	`{"config":{"digest":"x","digest":"y"}}`,
}

// checkFast fails when the fast decoder accepts body but encoding/json
// refuses it or decodes it differently.
func checkFast(t *testing.T, body string) {
	t.Helper()
	var fast, slow manifestDoc
	if !decodeManifestFast([]byte(body), &fast) {
		return
	}
	if err := json.Unmarshal([]byte(body), &slow); err != nil {
		t.Fatalf("fast path accepted %q; encoding/json: %v", body, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fast path decoded %q as\n%#v\nencoding/json as\n%#v", body, fast, slow)
	}
}

func TestDecodeManifestFastAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range fastSeeds {
		checkFast(t, s)
	}
	// What clients send takes the fast path.
	for _, s := range fastSeeds[:4] {
		if !decodeManifestFast([]byte(s), new(manifestDoc)) {
			t.Errorf("plain manifest %q left the fast path", s)
		}
	}
	for _, s := range fastSeeds[4:] {
		if decodeManifestFast([]byte(s), new(manifestDoc)) {
			t.Errorf("%q took the fast path", s)
		}
	}
}

func FuzzManifestFast(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add(s)
	}
	f.Fuzz(checkFast)
}

func TestComputeDigest(t *testing.T) {
	content := []byte(`{"schemaVersion":2}`)
	for _, want := range []digest.Digest{"", digest.SHA256.FromBytes(nil), digest.SHA512.FromBytes(nil), digest.SHA384.FromBytes(nil)} {
		alg := digest.SHA256
		if want != "" {
			alg = want.Algorithm()
		}
		if got := computeDigest(want, content); got != alg.FromBytes(content) {
			t.Errorf("computeDigest(%q) = %s, want %s", want, got, alg.FromBytes(content))
		}
	}
}
