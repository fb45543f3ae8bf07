package debug

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestAuth: with a bearer token and basic auth set, every endpoint but
// /debug/health answers 401 without valid credentials, and either kind of
// valid credential opens it.
func TestAuth(t *testing.T) {
	s := New(
		WithNotifications(func() any { return map[string]any{"endpoints": []any{}} }),
		WithPrometheus("/metrics", prometheus.NewRegistry()),
		WithBasicAuth(func(u, p string) bool { return u == "ops" && p == "pw" }, "Debug"),
		WithBearerToken("0123456789abcdef0123"),
	)
	type cred func(*http.Request)
	none := func(*http.Request) {}
	bearer := func(tok string) cred { return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) } }
	basic := func(u, p string) cred { return func(r *http.Request) { r.SetBasicAuth(u, p) } }
	for _, path := range []string{"/debug/vars", "/metrics", "/debug/pprof/", "/debug/pprof/cmdline"} {
		for name, tc := range map[string]struct {
			c    cred
			want int
		}{
			"none":         {none, http.StatusUnauthorized},
			"wrong token":  {bearer("0123456789abcdef0124"), http.StatusUnauthorized},
			"wrong basic":  {basic("ops", "nope"), http.StatusUnauthorized},
			"right token":  {bearer("0123456789abcdef0123"), http.StatusOK},
			"right basic":  {basic("ops", "pw"), http.StatusOK},
			"token as pwd": {basic("ops", "0123456789abcdef0123"), http.StatusUnauthorized},
		} {
			req := httptest.NewRequest("GET", path, nil)
			tc.c(req)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("%s %s: %d, want %d", path, name, rec.Code, tc.want)
			}
			if rec.Code == http.StatusUnauthorized && len(rec.Header().Values("WWW-Authenticate")) != 2 {
				t.Errorf("%s %s: WWW-Authenticate %q, want Basic and Bearer", path, name, rec.Header().Values("WWW-Authenticate"))
			}
		}
	}
	if code, _ := get(t, s, "/debug/health"); code != http.StatusOK {
		t.Errorf("/debug/health without credentials: %d, want 200 (probes)", code)
	}
	if code, _ := get(t, New(), "/debug/vars"); code != http.StatusOK {
		t.Errorf("no auth configured: %d, want 200 as Distribution", code)
	}
}
