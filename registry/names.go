package registry

import (
	_ "crypto/sha256" // register the digest algorithms the API accepts
	_ "crypto/sha512"
	"errors"
	"regexp"
	"strings"

	digest "github.com/opencontainers/go-digest"
)

// maxNameLength bounds a repository name, as Distribution does.
const maxNameLength = 255

var (
	// nameRE is the distribution-spec repository name grammar. Components
	// start with [a-z0-9], so none is "." or "..", and none starts with
	// "_" (the filesystem driver's private directories).
	nameRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)
	// tagRE is the distribution-spec tag grammar.
	tagRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// ValidName reports whether s is a valid repository name.
func ValidName(s string) bool {
	return len(s) <= maxNameLength && nameRE.MatchString(s)
}

// ValidTag reports whether s is a valid tag.
func ValidTag(s string) bool {
	return tagRE.MatchString(s)
}

// ParseDigest parses a digest the API accepts: sha256, sha384 or sha512,
// lower-case hex of the right length.
func ParseDigest(s string) (digest.Digest, error) {
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
