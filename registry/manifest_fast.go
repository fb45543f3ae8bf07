package registry

import (
	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry/storage"
)

// decodeManifestFast decodes body into doc in one pass when body keeps to
// the plain form registries and clients write: ASCII strings without
// escapes, integers, no duplicate or differently-cased known keys, no
// nulls for known keys, no descriptor "data" or "platform". It returns
// false for anything else, and the caller then decodes with
// encoding/json: whenever it returns true, doc is exactly what
// json.Unmarshal would give (FuzzManifestFast checks it), so the fast path
// changes no answer. encoding/json validates the whole body before it
// decodes it and decodes through reflection: about a tenth of a manifest
// PUT's CPU.
func decodeManifestFast(body []byte, doc *manifestDoc) bool {
	d := fastDec{b: body}
	var seen uint
	ok := d.object(func(key []byte) bool {
		bit, known := topKey(key)
		if !known {
			return !foldsTo(key, topKeys[:]) && d.skip(0)
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		switch bit {
		case 1 << 0:
			n, ok := d.int()
			if !ok || n != int64(int(n)) {
				return false
			}
			v := int(n)
			doc.SchemaVersion = &v
			return true
		case 1 << 1:
			s, ok := d.str()
			doc.MediaType = internMediaType(s)
			return ok
		case 1 << 2:
			s, ok := d.str()
			doc.ArtifactType = internMediaType(s)
			return ok
		case 1 << 3:
			doc.Config = new(v1.Descriptor)
			return d.descriptor(doc.Config)
		case 1 << 4:
			var ok bool
			doc.Layers, ok = d.descriptors()
			return ok
		case 1 << 5:
			var ok bool
			doc.Manifests, ok = d.descriptors()
			return ok
		case 1 << 6:
			doc.Subject = new(v1.Descriptor)
			return d.descriptor(doc.Subject)
		case 1 << 7:
			var ok bool
			doc.Annotations, ok = d.stringMap()
			return ok
		}
		return false
	})
	d.ws()
	return ok && d.i == len(d.b)
}

// topKeys are manifestDoc's JSON names, in the order of topKey's bits.
var topKeys = [...]string{"schemaVersion", "mediaType", "artifactType", "config", "layers", "manifests", "subject", "annotations"}

func topKey(key []byte) (uint, bool) {
	for i, k := range topKeys {
		if string(key) == k {
			return 1 << i, true
		}
	}
	return 0, false
}

// descKeys are v1.Descriptor's JSON names; descriptor decodes the first
// six, and gives up on data and platform.
var descKeys = [...]string{"mediaType", "digest", "size", "urls", "annotations", "artifactType", "data", "platform"}

// foldsTo reports whether key matches one of keys only case-insensitively
// (encoding/json would decode it into that field). Keys are ASCII here.
func foldsTo(key []byte, keys []string) bool {
	for _, k := range keys {
		if len(k) != len(key) {
			continue
		}
		same := true
		for i := 0; i < len(k) && same; i++ {
			a, b := k[i], key[i]
			if 'A' <= a && a <= 'Z' {
				a += 'a' - 'A'
			}
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			same = a == b
		}
		if same {
			return true
		}
	}
	return false
}

func (d *fastDec) descriptor(out *v1.Descriptor) bool {
	var seen uint
	return d.object(func(key []byte) bool {
		i := -1
		for j, k := range descKeys[:6] {
			if string(key) == k {
				i = j
				break
			}
		}
		if i < 0 {
			return !foldsTo(key, descKeys[:]) && d.skip(0)
		}
		if seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		var ok bool
		switch i {
		case 0:
			var s []byte
			s, ok = d.str()
			out.MediaType = internMediaType(s)
		case 1:
			var s []byte
			s, ok = d.str()
			out.Digest = digest.Digest(s)
		case 2:
			out.Size, ok = d.int()
		case 3:
			out.URLs, ok = d.strings()
		case 4:
			out.Annotations, ok = d.stringMap()
		case 5:
			var s []byte
			s, ok = d.str()
			out.ArtifactType = internMediaType(s)
		}
		return ok
	})
}

func (d *fastDec) descriptors() ([]v1.Descriptor, bool) {
	out := []v1.Descriptor{} // [] decodes to an empty, non-nil slice
	ok := d.array(func() bool {
		out = append(out, v1.Descriptor{})
		return d.descriptor(&out[len(out)-1])
	})
	return out, ok
}

func (d *fastDec) strings() ([]string, bool) {
	out := []string{}
	ok := d.array(func() bool {
		s, ok := d.str()
		out = append(out, string(s))
		return ok
	})
	return out, ok
}

func (d *fastDec) stringMap() (map[string]string, bool) {
	out := map[string]string{}
	ok := d.object(func(key []byte) bool {
		v, ok := d.str()
		out[string(key)] = string(v) // a repeated key: the last wins, as in encoding/json
		return ok
	})
	return out, ok
}

// internMediaType returns the constant for a common media type, saving
// an allocation per descriptor.
func internMediaType(b []byte) string {
	switch string(b) {
	case "":
		return ""
	case v1.MediaTypeImageManifest:
		return v1.MediaTypeImageManifest
	case v1.MediaTypeImageIndex:
		return v1.MediaTypeImageIndex
	case v1.MediaTypeImageConfig:
		return v1.MediaTypeImageConfig
	case v1.MediaTypeImageLayer:
		return v1.MediaTypeImageLayer
	case v1.MediaTypeImageLayerGzip:
		return v1.MediaTypeImageLayerGzip
	case v1.MediaTypeImageLayerZstd:
		return v1.MediaTypeImageLayerZstd
	case v1.MediaTypeEmptyJSON:
		return v1.MediaTypeEmptyJSON
	case storage.MediaTypeDockerManifest:
		return storage.MediaTypeDockerManifest
	case storage.MediaTypeDockerManifestList:
		return storage.MediaTypeDockerManifestList
	case storage.MediaTypeDockerConfig:
		return storage.MediaTypeDockerConfig
	case "application/vnd.docker.image.rootfs.diff.tar.gzip":
		return "application/vnd.docker.image.rootfs.diff.tar.gzip"
	}
	return string(b)
}

// fastDec reads the plain JSON subset decodeManifestFast accepts; every
// method reports false for anything outside it.
type fastDec struct {
	b []byte
	i int
}

func (d *fastDec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// lit consumes byte c after white space.
func (d *fastDec) lit(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes; the bytes are
// body's own.
func (d *fastDec) str() ([]byte, bool) {
	if !d.lit('"') {
		return nil, false
	}
	for j := d.i; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			s := d.b[d.i:j]
			d.i = j + 1
			return s, true
		case c < 0x20 || c >= 0x80 || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// int reads an integer of at most 18 digits (no fraction, no exponent).
func (d *fastDec) int() (int64, bool) {
	d.ws()
	neg := d.i < len(d.b) && d.b[d.i] == '-'
	if neg {
		d.i++
	}
	start := d.i
	var n int64
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		n = n*10 + int64(d.b[d.i]-'0')
		d.i++
	}
	digits := d.i - start
	if digits == 0 || digits > 18 || (digits > 1 && d.b[start] == '0') {
		return 0, false
	}
	if d.i < len(d.b) {
		if c := d.b[d.i]; c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// object reads an object, calling member with each key; member reads the
// value.
func (d *fastDec) object(member func(key []byte) bool) bool {
	if !d.lit('{') {
		return false
	}
	if d.lit('}') {
		return true
	}
	for {
		key, ok := d.str()
		if !ok || !d.lit(':') || !member(key) {
			return false
		}
		if d.lit(',') {
			continue
		}
		return d.lit('}')
	}
}

func (d *fastDec) array(elem func() bool) bool {
	if !d.lit('[') {
		return false
	}
	if d.lit(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.lit(',') {
			continue
		}
		return d.lit(']')
	}
}

// maxSkipDepth bounds the nesting of values skipped (encoding/json's
// limit is far higher; deeper documents take its path).
const maxSkipDepth = 32

// skip reads and validates any value of the subset: one the registry does
// not look at.
func (d *fastDec) skip(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	d.ws()
	if d.i >= len(d.b) {
		return false
	}
	switch c := d.b[d.i]; {
	case c == '"':
		_, ok := d.str()
		return ok
	case c == '{':
		return d.object(func([]byte) bool { return d.skip(depth + 1) })
	case c == '[':
		return d.array(func() bool { return d.skip(depth + 1) })
	case c == 't':
		return d.word("true")
	case c == 'f':
		return d.word("false")
	case c == 'n':
		return d.word("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, ok := d.int()
		return ok
	}
	return false
}

func (d *fastDec) word(w string) bool {
	if len(d.b)-d.i >= len(w) && string(d.b[d.i:d.i+len(w)]) == w {
		d.i += len(w)
		return true
	}
	return false
}
