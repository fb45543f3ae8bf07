package config

import (
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzParse: no input makes Parse panic, and a config it accepts, written
// back with yaml.v3, is accepted again and writes the same.
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
		out, err := yaml.Marshal(cfg)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, _, err := Parse(out, nil)
		if err != nil {
			t.Fatalf("written config\n%s\nnot accepted: %v", out, err)
		}
		if out2, _ := yaml.Marshal(again); string(out2) != string(out) {
			t.Fatalf("written twice differently:\n%s\n%s", out, out2)
		}
	})
}
