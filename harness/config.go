package harness

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Scenario defaults keep each spec a few seconds long.
const (
	DefaultScenarioTimeout   = 300 * time.Millisecond
	DefaultScenarioThreshold = 3
	DefaultScenarioBackoff   = 100 * time.Millisecond
)

// ConfigTemplate renders the scenario's registry config.yml (Distribution's
// format) as a template over Addrs; urls maps endpoint names to the URLs the
// registry must dial.
func (s Scenario) ConfigTemplate(urls map[string]string) (string, error) {
	var b strings.Builder
	b.WriteString("version: 0.1\n")
	b.WriteString("log:\n  level: warn\n")
	b.WriteString("storage:\n  filesystem:\n    rootdirectory: {{.StorageDir}}\n")
	fmt.Fprintf(&b, "  delete:\n    enabled: %v\n", s.Registry.DeleteEnabled)
	b.WriteString("http:\n  addr: {{.Addr}}\n  debug:\n    addr: {{.DebugAddr}}\n    prometheus:\n      enabled: true\n      path: /metrics\n")
	b.WriteString("notifications:\n")
	fmt.Fprintf(&b, "  events:\n    includereferences: %v\n", s.Registry.IncludeReferences)
	b.WriteString("  endpoints:\n")
	for _, e := range s.Endpoints {
		u, ok := urls[e.Name]
		if !ok {
			return "", fmt.Errorf("scenario %s: no URL for endpoint %s", s.Name, e.Name)
		}
		timeout, threshold, backoff := e.Timeout, e.Threshold, e.Backoff
		if timeout == 0 {
			timeout = DefaultScenarioTimeout
		}
		if threshold == 0 {
			threshold = DefaultScenarioThreshold
		}
		if backoff == 0 {
			backoff = DefaultScenarioBackoff
		}
		fmt.Fprintf(&b, "    - name: %s\n      url: %s\n      timeout: %s\n      threshold: %d\n      backoff: %s\n",
			quote(e.Name), quote(u), timeout, threshold, backoff)
		if len(e.Headers) > 0 {
			b.WriteString("      headers:\n")
			for k, vs := range e.Headers {
				fmt.Fprintf(&b, "        %s: [", quote(k))
				for i, v := range vs {
					if i > 0 {
						b.WriteString(", ")
					}
					b.WriteString(quote(v))
				}
				b.WriteString("]\n")
			}
		}
		if len(e.IgnoredMediaTypes) > 0 {
			fmt.Fprintf(&b, "      ignoredmediatypes: %s\n", list(e.IgnoredMediaTypes))
		}
		if len(e.Ignore.MediaTypes)+len(e.Ignore.Actions) > 0 {
			b.WriteString("      ignore:\n")
			if len(e.Ignore.MediaTypes) > 0 {
				fmt.Fprintf(&b, "        mediatypes: %s\n", list(e.Ignore.MediaTypes))
			}
			if len(e.Ignore.Actions) > 0 {
				fmt.Fprintf(&b, "        actions: %s\n", list(e.Ignore.Actions))
			}
		}
		b.WriteString(e.Delivery.yaml(e.Name))
	}
	return b.String(), nil
}

// RenderConfig executes a config template with a runtime's addresses.
func RenderConfig(tmpl string, a Addrs) ([]byte, error) {
	t, err := template.New("config.yml").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("config template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, a); err != nil {
		return nil, fmt.Errorf("config template: %w", err)
	}
	return buf.Bytes(), nil
}

func quote(s string) string { return strconv.Quote(s) }

func list(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// ignoreOf merges both of Distribution's ignore lists.
func (e EndpointDef) ignoreOf() Ignore {
	ig := e.Ignore
	ig.MediaTypes = append(append([]string(nil), ig.MediaTypes...), e.IgnoredMediaTypes...)
	return ig
}

func sortStrings(s []string) { sort.Strings(s) }
