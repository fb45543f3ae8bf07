package notifications

import (
	"strconv"
	"testing"
)

// TestFIFOOrderAcrossChunks interleaves pushes and pops across many chunk
// boundaries and checks order and length at every step.
func TestFIFOOrderAcrossChunks(t *testing.T) {
	var f fifo
	next, want := 0, 0
	for round, batch := range []int{1, 63, 64, 65, 200, 3, 129, 0, 500} {
		for range batch {
			f.push(Event{ID: strconv.Itoa(next)})
			next++
		}
		pop := batch / 2
		if round%2 == 1 {
			pop = f.len() // drain fully now and then
		}
		for range pop {
			if got := f.peek().ID; got != strconv.Itoa(want) {
				t.Fatalf("round %d: head %s, want %d", round, got, want)
			}
			f.pop()
			want++
		}
		if f.len() != next-want {
			t.Fatalf("round %d: len %d, want %d", round, f.len(), next-want)
		}
	}
	for f.len() > 0 {
		if got := f.peek().ID; got != strconv.Itoa(want) {
			t.Fatalf("head %s, want %d", got, want)
		}
		f.pop()
		want++
	}
	if want != next {
		t.Fatalf("popped %d of %d", want, next)
	}
}
