package config

import (
	"fmt"
	"net/http"
	"net/textproto"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the work one document can cause: aliases make a small
// file describe a huge tree ("billion laughs"), so the walk counts nodes.
const maxNodes = 100_000

var (
	durationType = reflect.TypeFor[time.Duration]()
	headerType   = reflect.TypeFor[http.Header]()
)

// decoder fills the Config structs from a YAML node tree by their yaml
// tags, naming the full key path (e.g. notifications.endpoints[0].timeout)
// in every error, and turning keys Distribution knows but this registry
// ignores into warnings.
type decoder struct {
	errs     []error
	warnings []string
	nodes    int
}

func (d *decoder) fail(path, format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf("%s: %s", displayPath(path), fmt.Sprintf(format, args...)))
}

func (d *decoder) warn(path, format string, args ...any) {
	d.warnings = append(d.warnings, fmt.Sprintf("%s: %s", displayPath(path), fmt.Sprintf(format, args...)))
}

func displayPath(p string) string {
	if p == "" {
		return "(top level)"
	}
	return p
}

// resolve follows aliases and counts the node against the budget; nil
// means stop (budget exhausted, already reported).
func (d *decoder) resolve(path string, n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode; depth++ {
		if depth > 100 {
			d.fail(path, "alias chain too long")
			return nil
		}
		n = n.Alias
	}
	d.nodes++
	if d.nodes == maxNodes {
		d.fail(path, "document too large (more than %d nodes after expanding aliases)", maxNodes)
	}
	if d.nodes >= maxNodes {
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected node"
}

func child(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decode sets v from n. v is addressable.
func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	if n = d.resolve(path, n); n == nil {
		return
	}
	if v.Type() == durationType {
		d.duration(path, n, v)
		return
	}
	if v.Type() == headerType {
		d.header(path, n, v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		// A present key enables the section even when empty ("inmemory:").
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if isNull(n) {
			return
		}
		d.decode(path, n, v.Elem())
	case reflect.Struct:
		d.structure(path, n, v)
	case reflect.Slice:
		d.slice(path, n, v)
	case reflect.String:
		if isNull(n) {
			v.SetString("")
			return
		}
		if n.Kind != yaml.ScalarNode {
			d.fail(path, "want a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, ok := parseBool(n)
		if !ok {
			d.fail(path, "want true or false, got %s", kindName(n))
			return
		}
		v.SetBool(b)
	case reflect.Int:
		if n.Kind != yaml.ScalarNode {
			d.fail(path, "want an integer, got %s", kindName(n))
			return
		}
		i, err := strconv.Atoi(n.Value)
		if err != nil {
			d.fail(path, "want an integer, got %q", n.Value)
			return
		}
		v.SetInt(int64(i))
	default:
		d.fail(path, "unsupported field type %s", v.Type()) // a bug in config.go, not in the file
	}
}

func parseBool(n *yaml.Node) (bool, bool) {
	if n.Kind != yaml.ScalarNode {
		return false, false
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off", "":
		return false, n.Value != "" || isNull(n)
	}
	return false, false
}

// duration accepts Go duration strings ("1s", "250ms") and, as
// Distribution's YAML decoding does, bare integers as nanoseconds.
func (d *decoder) duration(path string, n *yaml.Node, v reflect.Value) {
	if isNull(n) {
		v.SetInt(0)
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(path, "want a duration such as 1s or 500ms, got %s", kindName(n))
		return
	}
	if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
		v.SetInt(i)
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		d.fail(path, "want a duration such as 1s or 500ms, got %q", n.Value)
		return
	}
	v.SetInt(int64(dur))
}

// header reads a map of header name to a list of values (a single value is
// taken as a one-element list).
func (d *decoder) header(path string, n *yaml.Node, v reflect.Value) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(path, "want a mapping of header name to list of values, got %s", kindName(n))
		return
	}
	h := http.Header{}
	if !v.IsNil() {
		h = v.Interface().(http.Header)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], d.resolve(path, n.Content[i+1])
		if val == nil {
			return
		}
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			d.fail(path, "header names must be non-empty strings")
			continue
		}
		p := child(path, k.Value)
		var vals []string
		d.slice(p, val, reflect.ValueOf(&vals).Elem())
		h[textproto.CanonicalMIMEHeaderKey(k.Value)] = vals
	}
	v.Set(reflect.ValueOf(h))
}

func (d *decoder) slice(path string, n *yaml.Node, v reflect.Value) {
	if isNull(n) {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	if n.Kind == yaml.ScalarNode && v.Type().Elem().Kind() == reflect.String {
		n = &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{n}}
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(path, "want a list, got %s", kindName(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, e := range n.Content {
		d.decode(fmt.Sprintf("%s[%d]", path, i), e, out.Index(i))
	}
	v.Set(out)
}

func (d *decoder) structure(path string, n *yaml.Node, v reflect.Value) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(path, "want a mapping, got %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(path, n.Content[i])
		if k == nil {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(path, "keys must be strings, got %s", kindName(k))
			continue
		}
		p := child(path, k.Value)
		if seen[k.Value] {
			d.fail(p, "key given twice")
			continue
		}
		seen[k.Value] = true
		f, ok := fieldByTag(v, k.Value)
		if !ok {
			d.unknown(p)
			continue
		}
		d.decode(p, n.Content[i+1], f)
	}
}

// fieldByTag finds the struct field whose yaml tag is key.
func fieldByTag(v reflect.Value, key string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if yamlName(t.Field(i)) == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// unknown reports a key this registry does not read: a warning when
// Distribution knows it (the file is still a valid Distribution config),
// an error otherwise.
func (d *decoder) unknown(path string) {
	generic := genericPath(path)
	if msg, ok := unsupported[generic]; ok {
		d.fail(path, "%s", msg)
		return
	}
	if reason, ok := ignored[generic]; ok {
		d.warn(path, "ignored: %s", reason)
		return
	}
	d.fail(path, "unknown key")
}

// genericPath drops list indexes: notifications.endpoints[3].x ->
// notifications.endpoints[].x.
func genericPath(p string) string {
	var b strings.Builder
	skip := false
	for _, r := range p {
		switch {
		case r == '[':
			skip = true
			b.WriteString("[]")
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ignored are Distribution keys this registry accepts and ignores, with why.
var ignored = map[string]string{
	"loglevel":                      "deprecated in Distribution; use log.level",
	"log.fields":                    "extra log fields are not supported",
	"log.accesslog":                 "request logs are always written at info level",
	"log.hooks":                     "log hooks are not supported",
	"log.reportcaller":              "not supported",
	"storage.cache":                 "no descriptor cache: lookups go to the storage driver",
	"storage.redirect":              "blobs are always served directly (filesystem and inmemory cannot redirect, in Distribution too)",
	"storage.tag":                   "tag concurrency limit is not implemented",
	"storage.filesystem.maxthreads": "not needed: the filesystem driver has no thread pool",
	"storage.s3.v4auth":             "requests are always signed with AWS signature V4",
	"storage.s3.storageclass":       "objects get the bucket's default storage class",
	"storage.s3.objectacl":          "objects get the bucket's default ACL",
	"storage.s3.useragent":          "the S3 client's own user agent is sent",
	"storage.s3.usedualstack":       "the endpoint is used as given",
	"storage.s3.accelerate":         "transfer acceleration is not supported",
	"storage.s3.loglevel":           "S3 requests are not logged",
	"http.secret":                   "upload state is kept server-side, no signing secret is needed",
	"http.relativeurls":             "Location headers are always relative",
	"http.h2c":                      "not supported",
	"auth.htpasswd.autoredirect":    "not supported",
	"redis":                         "no cache is used",
	"health":                        "storage driver health checks are not implemented",
	"reporting":                     "error reporting services are not supported",
	"compatibility":                 "schema1 manifests are not supported",
	"catalog":                       "catalog paging limits are not configurable",
}

// unsupported are Distribution keys whose meaning this registry cannot
// honour, so accepting them silently would be wrong.
var unsupported = map[string]string{
	"auth.silly":                   "silly auth is not supported (htpasswd or token)",
	"auth.token.signingalgorithms": "not supported: tokens signed with RS256/384/512, PS256/384/512 or ES256/384/512 are accepted",
	"http.tls.letsencrypt":         "Let's Encrypt is not supported; give http.tls.certificate and http.tls.key",
	"http.debug.tls":               "TLS on the debug server is not supported; bind http.debug.addr to loopback",
	"proxy":                        "pull-through cache mode is not supported",
	"middleware":                   "middleware (registry, repository, storage) is not supported",
	"validation":                   "manifest validation rules (validation.manifests.urls allow/deny, indexes.platforms) are not supported",
	"storage.azure":                "storage driver azure is not supported (only filesystem, inmemory and s3)",
	"storage.gcs":                  "storage driver gcs is not supported (only filesystem, inmemory and s3)",
	"storage.swift":                "storage driver swift is not supported (only filesystem, inmemory and s3)",
	"storage.oss":                  "storage driver oss is not supported (only filesystem, inmemory and s3)",
	"storage.s3-aws":               "storage driver s3-aws is an old name: use storage.s3",
	"storage.readonly":             "read-only mode is not supported",

	"storage.s3.encrypt":      "server-side encryption is not supported (use the bucket's default encryption)",
	"storage.s3.keyid":        "server-side encryption is not supported (use the bucket's default encryption)",
	"storage.s3.sessiontoken": "session tokens are not supported (use accesskey and secretkey, or the environment)",
}
