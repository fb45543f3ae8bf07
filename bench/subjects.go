package bench

import (
	"fmt"
	"strings"
)

// Endpoint settings every subject shares: Distribution's keys, short
// enough that a refused endpoint is retried soon after it comes back.
const (
	epTimeout   = "2s"
	epThreshold = 3
	epBackoff   = "100ms"
)

// ExtensionsYAML is what "ours-extensions" adds under its endpoint
// (indented for notifications.endpoints[]); {{queue}} is the disk queue path.
const ExtensionsYAML = `      batch:
        maxevents: 500
        maxwait: 20ms
      concurrency: 16
      retry:
        backoff: 50ms
        maxbackoff: 250ms
      queue:
        kind: disk
        path: {{queue}}
`

// configTemplate renders a subject's config.yml template (over
// harness.Addrs). endpointURL "" means no notifications endpoint.
func configTemplate(subject, endpointURL, queuePath string) string {
	var b strings.Builder
	b.WriteString("version: 0.1\nlog:\n  level: error\n")
	b.WriteString("storage:\n  filesystem:\n    rootdirectory: {{.StorageDir}}\n")
	b.WriteString("http:\n  addr: {{.Addr}}\n  debug:\n    addr: {{.DebugAddr}}\n")
	if endpointURL == "" {
		return b.String()
	}
	b.WriteString("notifications:\n  endpoints:\n")
	fmt.Fprintf(&b, "    - name: bench\n      url: %q\n      timeout: %s\n      threshold: %d\n      backoff: %s\n",
		endpointURL, epTimeout, epThreshold, epBackoff)
	if subject == OursExt {
		b.WriteString(strings.ReplaceAll(ExtensionsYAML, "{{queue}}", fmt.Sprintf("%q", queuePath)))
	}
	return b.String()
}
