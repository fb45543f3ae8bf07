package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no input makes Parse panic, and a config it accepts is
// accepted again when its defaults are already filled in.
func FuzzParse(f *testing.F) {
	if sample, err := os.ReadFile(filepath.Join("testdata", "config-with-notifications.yml")); err == nil {
		f.Add(sample, "")
	}
	f.Add([]byte(minimal), "REGISTRY_HTTP_ADDR=:0")
	f.Add([]byte(minimal+"notifications:\n  endpoints:\n    - &a {name: a, url: 'http://h/'}\n    - *a\n"), "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_TIMEOUT=1s")
	f.Add([]byte("version: 0.1\nstorage: {filesystem: {rootdirectory: /x}, delete: {enabled: true}}\n"), "REGISTRY_NOTIFICATIONS_ENDPOINTS=[{name: x}]")
	f.Add([]byte("- [\n"), "REGISTRY_=")
	f.Fuzz(func(t *testing.T, data []byte, env string) {
		cfg, _, err := Parse(data, []string{env})
		if err != nil {
			return
		}
		if cfg == nil {
			t.Fatal("nil config without an error")
		}
		if len(cfg.Notifications.Endpoints) > 0 && cfg.Notifications.Endpoints[0].Timeout <= 0 {
			t.Fatal("endpoint default timeout not applied")
		}
	})
}
