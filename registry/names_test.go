package registry

import (
	"regexp"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// The distribution-spec grammars ValidName and ValidTag implement by hand.
var (
	specNameRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)
	specTagRE  = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

var grammarSeeds = []string{
	"", "a", "a/b", "a.b_c__d--e/f", "..", "a/../b", "A", "a//b", "_a", "a_", "a__b", "a___b",
	"a._b", "a-_b", "a..b", "a---b", "a/", "/a", "a/-b", "a-/b", "0", "library/ubuntu",
	"a.b.c", "a_b_c", "x-", "Tag", "v1.0", ".x", "-x", "_x", "a:b", "sha256:abc",
	strings.Repeat("a", 255), strings.Repeat("a", 256), strings.Repeat("t", 128), strings.Repeat("t", 129),
}

func TestValidNameAndTagMatchTheSpecGrammar(t *testing.T) {
	for _, s := range grammarSeeds {
		if got, want := ValidName(s), len(s) <= maxNameLength && specNameRE.MatchString(s); got != want {
			t.Errorf("ValidName(%q) = %v, the grammar says %v", s, got, want)
		}
		if got, want := ValidTag(s), specTagRE.MatchString(s); got != want {
			t.Errorf("ValidTag(%q) = %v, the grammar says %v", s, got, want)
		}
	}
}

func FuzzGrammar(f *testing.F) {
	for _, s := range grammarSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidName(s), len(s) <= maxNameLength && specNameRE.MatchString(s); got != want {
			t.Fatalf("ValidName(%q) = %v, the grammar says %v", s, got, want)
		}
		if got, want := ValidTag(s), specTagRE.MatchString(s); got != want {
			t.Fatalf("ValidTag(%q) = %v, the grammar says %v", s, got, want)
		}
		// ParseDigest's fast path accepts exactly what go-digest does.
		d, err := ParseDigest(s)
		gd, gerr := digest.Parse(s)
		if strings.ContainsAny(s, `/\`) { // refused before go-digest is asked
			gerr = digest.ErrDigestInvalidFormat
		}
		if (err == nil) != (gerr == nil) || (err == nil && d != gd) {
			t.Fatalf("ParseDigest(%q) = %q, %v; go-digest: %q, %v", s, d, err, gd, gerr)
		}
	})
}

func TestParseDigestFastPath(t *testing.T) {
	good := "sha256:" + strings.Repeat("0a", 32)
	for s, ok := range map[string]bool{
		good:                                 true,
		"sha256:" + strings.Repeat("0A", 32): false, // upper-case hex
		"sha256:" + strings.Repeat("0a", 31) + "0g": false,
		"sha256:" + strings.Repeat("0a", 33):        false,
		"sha512:" + strings.Repeat("0a", 64):        true,
		"sha384:" + strings.Repeat("0a", 48):        true,
		"md5:" + strings.Repeat("0a", 16):           false,
	} {
		if _, err := ParseDigest(s); (err == nil) != ok {
			t.Errorf("ParseDigest(%q): %v, want ok %v", s, err, ok)
		}
	}
}
