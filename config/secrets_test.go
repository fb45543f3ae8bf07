package config

import (
	"strings"
	"testing"
)

// TestURLErrorsRedacted: a bad endpoint URL's error names the key and
// shows the URL without its secrets.
func TestURLErrorsRedacted(t *testing.T) {
	for _, u := range []string{"ftp://user:pa55@host/x?token=t0k", "http:///x?token=t0k", "http://host/%zz?token=t0k"} {
		yml := "version: 0.1\nstorage:\n  inmemory:\nnotifications:\n  endpoints:\n    - name: a\n      url: " + u + "\n"
		_, _, err := Parse([]byte(yml), nil)
		if err == nil || !strings.Contains(err.Error(), "notifications.endpoints[0].url:") {
			t.Fatalf("%s: error %v, want one naming the key", u, err)
		}
		for _, secret := range []string{"pa55", "t0k"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error shows a secret: %v", u, err)
			}
		}
	}
}

func TestDebugAuthKeys(t *testing.T) {
	base := "version: 0.1\nstorage:\n  inmemory:\nhttp:\n  debug:\n    addr: 127.0.0.1:0\n    auth:\n"
	cfg, _, err := Parse([]byte(base+"      token: 0123456789abcdef\n      htpasswd:\n        path: /etc/debug.htpasswd\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Debug.Auth.Token != "0123456789abcdef" || cfg.HTTP.Debug.Auth.Htpasswd.Path != "/etc/debug.htpasswd" {
		t.Errorf("decoded %+v", cfg.HTTP.Debug.Auth)
	}
	cfg, _, err = Parse([]byte(base+"      htpasswd:\n        path: /x\n"), []string{"REGISTRY_HTTP_DEBUG_AUTH_TOKEN=from-the-environment"})
	if err != nil || cfg.HTTP.Debug.Auth.Token != "from-the-environment" {
		t.Errorf("environment override: %v %q", err, cfg.HTTP.Debug.Auth.Token)
	}
	for body, want := range map[string]string{
		"      token: short\n":                   "http.debug.auth.token: too short",
		"      token: \"with a space inside\"\n": "http.debug.auth.token: must not contain spaces",
		"      htpasswd:\n        realm: x\n":    "http.debug.auth.htpasswd.path: missing",
	} {
		_, _, err := Parse([]byte(base+body), nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", body, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "short\n") {
			t.Errorf("error shows the token: %v", err)
		}
	}
}

func TestDebugAuthWithoutDebugServerWarns(t *testing.T) {
	_, warnings, err := Parse([]byte("version: 0.1\nstorage:\n  inmemory:\nhttp:\n  debug:\n    auth:\n      token: 0123456789abcdef\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "http.debug.auth:") {
		t.Errorf("warnings %q, want one naming http.debug.auth", warnings)
	}
}
