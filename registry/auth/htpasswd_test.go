package auth

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func hash(t *testing.T, password string) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAuthenticate(t *testing.T) {
	file := "# users\n\nalice:" + hash(t, "wonderland") + "\nbob:" + hash(t, "builder") + "\n"
	path := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if h.Users() != 2 {
		t.Fatalf("users = %d, want 2", h.Users())
	}
	cases := []struct {
		user, password string
		basic          bool
		ok             bool
	}{
		{"alice", "wonderland", true, true},
		{"alice", "wonderland", true, true}, // second time from the cache
		{"bob", "builder", true, true},
		{"alice", "builder", true, false},
		{"alice", "", true, false},
		{"carol", "wonderland", true, false},
		{"", "", false, false},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/v2/", nil)
		if tc.basic {
			r.SetBasicAuth(tc.user, tc.password)
		}
		user, ok := h.Authenticate(r)
		if ok != tc.ok || (ok && user != tc.user) {
			t.Errorf("%s/%s: got (%q, %v), want ok=%v", tc.user, tc.password, user, ok, tc.ok)
		}
	}
	// A password that matched once does not open the door for another.
	if h.Verify("alice", "wonderland2") {
		t.Error("wrong password accepted after a right one")
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"no colon", "alice\n", "line 1: want user:hash"},
		{"empty user", ":" + "$2y$05$abcdefghijklmnopqrstuuJ4bXm7yXbq1sB2Lz0x7wqfG0GZ4l1yK\n", "line 1: empty user name"},
		{"apache md5", "# c\nalice:$apr1$abc$def\n", `line 2: user "alice": hash is not bcrypt (Apache MD5)`},
		{"sha1", "alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", `line 1: user "alice": hash is not bcrypt (SHA-1)`},
		{"plain", "alice:secret\n", "hash is not bcrypt (plain text or crypt)"},
		{"empty hash", "alice:\n", "hash is not bcrypt (empty)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error echoes the hash: %v", err)
			}
		})
	}
}

func TestDuplicateUser(t *testing.T) {
	h := hash(t, "x")
	_, err := Parse(strings.NewReader("a:" + h + "\na:" + h + "\n"))
	if err == nil || !strings.Contains(err.Error(), `line 2: user "a" given twice`) {
		t.Errorf("err = %v", err)
	}
}

func TestLoadMissing(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("no error for a missing file")
	}
}
