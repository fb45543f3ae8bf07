package docker

import (
	"net"
	"strconv"
	"testing"
)

// TestFreePortBelowEphemeral: fixed host ports come from below the
// kernel's ephemeral range (where the engine's own port choices and
// outgoing connections cannot take them first), and are free.
func TestFreePortBelowEphemeral(t *testing.T) {
	lo := ephemeralLow()
	seen := map[int]bool{}
	for range 20 {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if p < 10000 || p >= lo {
			t.Fatalf("port %d outside [10000, %d)", p, lo)
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("port %d not free: %v", p, err)
		}
		l.Close()
		seen[p] = true
	}
	if len(seen) < 10 {
		t.Fatalf("20 picks gave only %d ports: not random enough to keep side-by-side runs apart", len(seen))
	}
}
