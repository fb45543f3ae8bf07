package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"

	"gopkg.in/yaml.v3"
)

// Load reads the config file at path; see Parse.
func Load(path string, env []string) (*Config, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	cfg, warnings, err := Parse(data, env)
	if err != nil {
		return nil, warnings, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, warnings, nil
}

// Parse reads a config in Distribution's YAML format, applies REGISTRY_*
// overrides from env (KEY=value strings, as os.Environ returns; nil for
// none), validates it and fills in defaults. Every problem is reported in
// one error, each line naming its key; warnings name keys Distribution
// knows that this registry ignores.
func Parse(data []byte, env []string) (*Config, []string, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("not valid YAML: %v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, nil, errors.New("not valid YAML: more than one document")
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 && !isNull(doc.Content[0]) {
		root = doc.Content[0]
	}
	d := &decoder{}
	cfg := &Config{}
	if root.Kind != yaml.MappingNode {
		d.fail("", "want a mapping, got %s", kindName(root))
	} else {
		d.applyEnv(root, env)
		d.decode("", root, reflect.ValueOf(cfg).Elem())
	}
	if len(d.errs) == 0 {
		d.errs = append(d.errs, cfg.validate()...)
	}
	if len(d.errs) > 0 {
		return nil, d.warnings, errors.Join(d.errs...)
	}
	if cfg.HTTP.Debug.Addr == "" && cfg.HTTP.Debug.Prometheus.Enabled {
		d.warnings = append(d.warnings, "http.debug.prometheus.enabled: no effect without http.debug.addr (no debug server)")
	}
	if a := cfg.HTTP.Debug.Auth; cfg.HTTP.Debug.Addr == "" && (a.Htpasswd != nil || a.Token != "") {
		d.warnings = append(d.warnings, "http.debug.auth: no effect without http.debug.addr (no debug server)")
	}
	cfg.applyDefaults()
	return cfg, d.warnings, nil
}
