package wire

import "testing"

func TestStatusKey(t *testing.T) {
	for code, want := range map[int]string{200: "200 OK", 302: "302 Found", 500: "500 Internal Server Error", 299: "299 "} {
		if got := StatusKey(code); got != want {
			t.Errorf("StatusKey(%d) = %q, want %q", code, got, want)
		}
	}
}
