// Package redact hides secrets (URL passwords and query values) wherever a
// URL is shown: config errors, /debug/vars, logs, reports. It is a leaf so
// that config and notifications, which may not import each other, share it.
package redact

import (
	"net/url"
	"sort"
	"strings"
)

// Redacted stands in for a secret wherever one would be shown.
const Redacted = "<redacted>"

// URL is raw with its secrets replaced by <redacted>: the password
// of the user info (the whole user info when it is a bare token), every
// query value and the fragment. Scheme, host, path and query keys stay,
// so the URL is still recognisable in /debug/vars, logs and errors. A
// string that does not parse as a URL is redacted whole.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Redacted
	}
	if u.User == nil && u.RawQuery == "" && u.Fragment == "" {
		return raw
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme + ":")
	}
	if u.Host != "" || u.User != nil {
		b.WriteString("//")
		if u.User != nil {
			if _, hasPassword := u.User.Password(); hasPassword {
				b.WriteString(url.PathEscape(u.User.Username()) + ":" + Redacted + "@")
			} else {
				b.WriteString(Redacted + "@") // a bare user info is usually a token
			}
		}
		b.WriteString(u.Host)
	}
	b.WriteString(u.EscapedPath())
	if u.Opaque != "" {
		b.WriteString(Redacted)
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('?')
		if err != nil || len(keys) == 0 {
			b.WriteString(Redacted)
		}
		for i, k := range keys {
			if i > 0 {
				b.WriteByte('&')
			}
			for j := range q[k] {
				if j > 0 {
					b.WriteByte('&')
				}
				b.WriteString(url.QueryEscape(k) + "=" + Redacted)
			}
		}
	}
	if u.Fragment != "" {
		b.WriteString("#" + Redacted)
	}
	return b.String()
}
