// Package auth checks HTTP basic credentials against an htpasswd file of
// bcrypt hashes (Distribution's auth.htpasswd).
package auth

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Htpasswd holds the users of one htpasswd file.
type Htpasswd struct {
	users map[string][]byte // user -> bcrypt hash

	// dummy is compared against for unknown users: a bcrypt hash of the
	// users' cost, so that an unknown user takes as long as a known user
	// with a wrong password and names cannot be found by timing.
	dummy   []byte
	compare func(hash, password []byte) error

	// verified remembers a digest of the last password that matched per
	// user, so a client sending the same credentials on every request pays
	// for bcrypt once, not per request.
	mu       sync.Mutex
	verified map[string][sha256.Size]byte
}

// Option configures an Htpasswd.
type Option func(*Htpasswd)

// WithComparer replaces bcrypt.CompareHashAndPassword (tests count calls
// with it, to show unknown users are compared too).
func WithComparer(compare func(hash, password []byte) error) Option {
	return func(h *Htpasswd) { h.compare = compare }
}

// Load reads the htpasswd file at path.
func Load(path string, opts ...Option) (*Htpasswd, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("htpasswd: %w", err)
	}
	defer f.Close()
	h, err := Parse(f, opts...)
	if err != nil {
		return nil, fmt.Errorf("htpasswd %s: %w", path, err)
	}
	return h, nil
}

// Parse reads htpasswd lines "user:hash". Blank lines and lines starting
// with # are skipped. Only bcrypt hashes ($2a$, $2b$, $2y$; made by
// `htpasswd -B`) are accepted, as in Distribution: any other format is an
// error naming the line.
func Parse(r io.Reader, opts ...Option) (*Htpasswd, error) {
	h := &Htpasswd{users: map[string][]byte{}, verified: map[string][sha256.Size]byte{}, compare: bcrypt.CompareHashAndPassword}
	for _, opt := range opts {
		opt(h)
	}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok:
			return nil, fmt.Errorf("line %d: want user:hash", n)
		case user == "":
			return nil, fmt.Errorf("line %d: empty user name", n)
		case h.users[user] != nil:
			return nil, fmt.Errorf("line %d: user %q given twice", n, user)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("line %d: user %q: hash is not bcrypt (%s); make it with htpasswd -B", n, user, describe(hash))
		}
		h.users[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("not a password"), h.usualCost())
	if err != nil {
		return nil, fmt.Errorf("making the hash unknown users are checked against: %w", err)
	}
	h.dummy = dummy
	return h, nil
}

// usualCost is the bcrypt cost most users' hashes have (the higher on a
// tie): with one cost in the file, as htpasswd -B makes it, an unknown
// user costs exactly what a known one does.
func (h *Htpasswd) usualCost() int {
	counts := map[int]int{}
	best, bestN := bcrypt.MinCost, 0
	for _, hash := range h.users {
		c, _ := bcrypt.Cost(hash) // checked by Parse
		counts[c]++
		if n := counts[c]; n > bestN || (n == bestN && c > best) {
			best, bestN = c, n
		}
	}
	return best
}

// describe names a non-bcrypt hash format without echoing the hash.
func describe(hash string) string {
	switch {
	case strings.HasPrefix(hash, "$apr1$"):
		return "Apache MD5"
	case strings.HasPrefix(hash, "{SHA}"):
		return "SHA-1"
	case strings.HasPrefix(hash, "$1$"):
		return "MD5-crypt"
	case strings.HasPrefix(hash, "$5$"), strings.HasPrefix(hash, "$6$"):
		return "SHA-crypt"
	case hash == "":
		return "empty"
	}
	return "plain text or crypt"
}

// Users is the number of users loaded.
func (h *Htpasswd) Users() int { return len(h.users) }

// Verify reports whether password is user's.
func (h *Htpasswd) Verify(user, password string) bool {
	hash, ok := h.users[user]
	if !ok {
		_ = h.compare(h.dummy, []byte(password))
		return false
	}
	sum := sha256.Sum256([]byte(password))
	h.mu.Lock()
	known, seen := h.verified[user]
	h.mu.Unlock()
	if seen && subtle.ConstantTimeCompare(known[:], sum[:]) == 1 {
		return true
	}
	if h.compare(hash, []byte(password)) != nil {
		return false
	}
	h.mu.Lock()
	h.verified[user] = sum
	h.mu.Unlock()
	return true
}

// Authenticate checks a request's basic credentials; it has the shape
// registry.WithAuthenticator takes.
func (h *Htpasswd) Authenticate(r *http.Request) (string, bool) {
	user, password, ok := r.BasicAuth()
	if !ok || !h.Verify(user, password) {
		return "", false
	}
	return user, true
}
