package redact

import (
	"testing"
)

func TestURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://user:pa55@host:8443/path?token=t0k&a=1&a=2#frag": "https://user:<redacted>@host:8443/path?a=<redacted>&a=<redacted>&token=<redacted>#<redacted>",
		"https://ghp_t0ken@host/hook":                             "https://<redacted>@host/hook",
		"http://host/plain":                                       "http://host/plain",
		"http://host/p?justakey":                                  "http://host/p?justakey=<redacted>",
		"http://[::1]:80/x?k=v":                                   "http://[::1]:80/x?k=<redacted>",
		"http://host/%zz?token=x":                                 "<redacted>",
		"":                                                        "",
	} {
		if got := URL(raw); got != want {
			t.Errorf("URL(%q) = %q, want %q", raw, got, want)
		}
	}
}
