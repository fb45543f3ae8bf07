package registry

import (
	_ "crypto/sha256" // register the digest algorithms the API accepts
	_ "crypto/sha512"
	"errors"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/registry/storage"
)

// maxNameLength bounds a repository name, as Distribution does.
const maxNameLength = 255

// ValidName reports whether s is a valid repository name: the
// distribution-spec grammar
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
// (names_test.go checks it against that regular expression). Components
// start with [a-z0-9], so none is "." or "..", and none starts with "_"
// (the filesystem driver's private directories). It is written out rather
// than matched with regexp: every request checks a name, and the regexp
// cost several per cent of a manifest PUT's CPU.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > maxNameLength {
		return false
	}
	// prev is the class of the last byte: 'a' alphanumeric, or the
	// separator byte itself; run counts a separator run's length.
	prev, run := byte('/'), 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			prev, run = 'a', 0
		case c == '/':
			if prev != 'a' {
				return false
			}
			prev, run = '/', 0
		case c == '.' || c == '_' || c == '-':
			if prev == '/' { // a component starts alphanumeric
				return false
			}
			if prev != 'a' && prev != c { // mixed separators
				return false
			}
			run++
			if (c == '.' && run > 1) || (c == '_' && run > 2) {
				return false
			}
			prev = c
		default:
			return false
		}
	}
	return prev == 'a'
}

// ValidTag reports whether s is a valid tag: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
func ValidTag(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case (c == '.' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// ParseDigest parses a digest the API accepts: sha256, sha384 or sha512,
// lower-case hex of the right length.
func ParseDigest(s string) (digest.Digest, error) {
	// The common case without go-digest's regexps (a manifest PUT checks
	// every descriptor's digest); anything else takes the full check.
	if storage.IsSHA256(s) {
		return digest.Digest(s), nil
	}
	if strings.ContainsAny(s, "/\\") {
		return "", errors.New("invalid digest")
	}
	d, err := digest.Parse(s)
	if err != nil {
		return "", err
	}
	return d, nil
}

// Reference is a manifest reference: a tag or a digest, never both.
type Reference struct {
	Tag    string
	Digest digest.Digest
}

// ParseReference parses the <reference> of a manifest URL: a digest when
// it contains ':', otherwise a tag.
func ParseReference(s string) (Reference, error) {
	if strings.Contains(s, ":") {
		d, err := ParseDigest(s)
		if err != nil {
			return Reference{}, err
		}
		return Reference{Digest: d}, nil
	}
	if !ValidTag(s) {
		return Reference{}, errors.New("invalid tag")
	}
	return Reference{Tag: s}, nil
}

func (r Reference) String() string {
	if r.Digest != "" {
		return string(r.Digest)
	}
	return r.Tag
}

// validUploadID reports whether s is an upload id this registry issued: a
// canonical UUID, which cannot name a path outside the upload directory.
func validUploadID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		default:
			return false
		}
	}
	return true
}
