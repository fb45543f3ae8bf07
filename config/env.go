package config

import (
	"fmt"
	"net/textproto"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// envPrefix starts every override, as in Distribution: REGISTRY_HTTP_ADDR
// sets http.addr, REGISTRY_STORAGE_DELETE_ENABLED sets
// storage.delete.enabled, REGISTRY_NOTIFICATIONS_ENDPOINTS sets the whole
// list (its value is YAML), REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL one field
// of the first endpoint (an index equal to the list's length appends).
const envPrefix = "REGISTRY_"

// applyEnv writes the overrides in env (KEY=value strings) into the
// document's top mapping, before decoding, so that overridden values are
// validated exactly like values from the file. Keys are applied in sorted
// order so that a whole-list override comes before its per-field ones.
func (d *decoder) applyEnv(root *yaml.Node, env []string) {
	type kv struct{ key, val string }
	var vars []kv
	for _, e := range env {
		k, v, ok := strings.Cut(e, "=")
		if !ok || !strings.HasPrefix(k, envPrefix) || len(k) == len(envPrefix) {
			continue
		}
		vars = append(vars, kv{k, v})
	}
	sort.SliceStable(vars, func(i, j int) bool { return vars[i].key < vars[j].key })
	for _, e := range vars {
		segs := strings.Split(strings.TrimPrefix(e.key, envPrefix), "_")
		d.setEnv(e.key, root, reflect.TypeFor[Config](), segs, "", e.val)
	}
}

// setEnv walks the type t and the node n along segs, creating mappings and
// list items as needed, and replaces the final node with val.
func (d *decoder) setEnv(name string, n *yaml.Node, t reflect.Type, segs []string, path, val string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if len(segs) == 0 {
		repl, err := envNode(t, val)
		if err != nil {
			d.errs = append(d.errs, fmt.Errorf("%s (environment %s): %v", displayPath(path), name, err))
			return
		}
		*n = *repl
		return
	}
	seg := segs[0]
	switch {
	case t == headerType:
		key := textproto.CanonicalMIMEHeaderKey(strings.ToLower(strings.Join(segs, "-")))
		d.setEnv(name, mapEntry(n, key), reflect.TypeFor[[]string](), nil, child(path, key), val)
	case t.Kind() == reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if strings.EqualFold(yamlName(f), seg) {
				key := yamlName(f)
				d.setEnv(name, mapEntry(n, key), f.Type, segs[1:], child(path, key), val)
				return
			}
		}
		p := child(path, strings.ToLower(strings.Join(segs, "_")))
		d.warnings = append(d.warnings, fmt.Sprintf("environment %s: no config key %s here; ignored", name, p))
	case t.Kind() == reflect.Slice:
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 {
			d.errs = append(d.errs, fmt.Errorf("%s (environment %s): %q is not a list index", displayPath(path), name, seg))
			return
		}
		if n.Kind != yaml.SequenceNode {
			*n = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		}
		if i > len(n.Content) {
			d.errs = append(d.errs, fmt.Errorf("%s (environment %s): index %d is past the end of the list (length %d)", displayPath(path), name, i, len(n.Content)))
			return
		}
		if i == len(n.Content) {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
		}
		d.setEnv(name, n.Content[i], t.Elem(), segs[1:], fmt.Sprintf("%s[%d]", path, i), val)
	default:
		d.errs = append(d.errs, fmt.Errorf("%s (environment %s): %s has no sub-keys", displayPath(path), name, displayPath(path)))
	}
}

// mapEntry returns the value node for key in mapping n, adding it (and
// turning n into a mapping) if needed.
func mapEntry(n *yaml.Node, key string) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	return v
}

// envNode makes the replacement node: scalars are taken literally (so
// ":5000" or "0.1" stay strings); lists, mappings and sections are YAML.
func envNode(t reflect.Type, val string) (*yaml.Node, error) {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: val}, nil
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String && !strings.HasPrefix(strings.TrimSpace(val), "[") && !strings.HasPrefix(strings.TrimSpace(val), "-") {
		return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: val}}}, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(val), &doc); err != nil {
		return nil, fmt.Errorf("value is not valid YAML: %v", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, nil
	}
	return doc.Content[0], nil
}
