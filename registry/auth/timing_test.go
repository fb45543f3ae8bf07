package auth

import (
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestUnknownUserComparedLikeKnown: an unknown user goes through the same
// bcrypt compare, against a hash of the users' cost, as a known user with
// a wrong password does, so the answer's timing tells nothing about which
// names exist. Asserted by counting compares and their hashes' cost.
func TestUnknownUserComparedLikeKnown(t *testing.T) {
	const cost = bcrypt.MinCost + 1 // not MinCost: shows the dummy follows the file
	known, err := bcrypt.GenerateFromPassword([]byte("right"), cost)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var costs []int
	compare := func(hash, password []byte) error {
		c, err := bcrypt.Cost(hash)
		if err != nil {
			t.Errorf("compared against a non-bcrypt hash: %v", err)
		}
		mu.Lock()
		costs = append(costs, c)
		mu.Unlock()
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	h, err := Parse(strings.NewReader("alice:"+string(known)+"\n"), WithComparer(compare))
	if err != nil {
		t.Fatal(err)
	}
	take := func() []int {
		mu.Lock()
		defer mu.Unlock()
		out := costs
		costs = nil
		return out
	}

	if h.Verify("alice", "wrong") {
		t.Fatal("wrong password accepted")
	}
	wrongPassword := take()
	if h.Verify("mallory", "wrong") {
		t.Fatal("unknown user accepted")
	}
	unknownUser := take()
	if len(wrongPassword) != 1 || len(unknownUser) != 1 {
		t.Fatalf("compares: wrong password %d, unknown user %d; want one each", len(wrongPassword), len(unknownUser))
	}
	if unknownUser[0] != cost || wrongPassword[0] != cost {
		t.Fatalf("costs compared: wrong password %v, unknown user %v; want %d for both", wrongPassword, unknownUser, cost)
	}
	if h.Verify("mallory", "not a password") {
		t.Fatal("the dummy hash's own password let an unknown user in")
	}
}

// TestUsualCost: with mixed costs the dummy takes the most common one.
func TestUsualCost(t *testing.T) {
	var lines []string
	for i, c := range []int{4, 5, 5} {
		b, err := bcrypt.GenerateFromPassword([]byte("x"), c)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(rune('a'+i))+":"+string(b))
	}
	h, err := Parse(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost(h.dummy); c != 5 {
		t.Fatalf("dummy cost %d, want 5", c)
	}
}
