package load

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Event fields as Diff names them, in the order it compares them: identity
// first, so that the first difference reported is the most telling one.
const (
	FieldEvent          = "event" // the body could not be decoded
	FieldAction         = "action"
	FieldRepository     = "target.repository"
	FieldDigest         = "target.digest"
	FieldTag            = "target.tag"
	FieldMediaType      = "target.mediaType"
	FieldSize           = "target.size"
	FieldLength         = "target.length"
	FieldURL            = "target.url"
	FieldFromRepository = "target.fromRepository"
	FieldReferences     = "target.references"
	FieldMethod         = "request.method"
	FieldUserAgent      = "request.useragent"
	FieldHost           = "request.host"
	FieldRequestID      = "request.id"
	FieldActor          = "actor.name"
	FieldSourceAddr     = "source.addr"
	FieldSourceInstance = "source.instanceID"
	FieldID             = "id"
	FieldTimestamp      = "timestamp"
)

// NeverChecked are the event fields no load can know in advance: they
// depend on the registry's host, the client's ephemeral port or random
// ids. request.id, id and timestamp are checked for presence only.
var NeverChecked = []string{"request.addr", "source.instanceID"}

// Diff compares a delivered event with what e owes, field by field in the
// order of the Field* constants, and reports the first field that differs
// (want and got quoted as in Go). An Entry without Op, or a Partial event,
// is compared by identity only: action, repository, digest and tag.
func (e Entry) Diff(ev Event) (field, want, got string, ok bool) {
	if ev.DecodeError != "" {
		return FieldEvent, "a decodable event", ev.DecodeError, false
	}
	type cmp = fieldCmp
	str := strconv.Quote
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	identity := []cmp{
		{FieldAction, str(e.Action), str(ev.Action)},
		{FieldRepository, str(e.Repository), str(ev.Target.Repository)},
		{FieldDigest, str(e.Digest), str(ev.Target.Digest)},
		{FieldTag, str(e.Tag), str(ev.Target.Tag)},
	}
	for _, c := range identity {
		if c.want != c.got {
			return c.field, c.want, c.got, false
		}
	}
	if e.Op == "" || ev.Partial {
		return "", "", "", true
	}
	present := func(s string) string {
		if s == "" {
			return "absent"
		}
		return "present"
	}
	rest := []cmp{
		{FieldMediaType, str(e.MediaType), str(ev.Target.MediaType)},
		{FieldSize, num(e.Size), num(ev.Target.Size)},
		{FieldLength, num(e.Length), num(ev.Target.Length)},
		{FieldURL, str(e.URL), str(ev.Target.URL)},
		{FieldFromRepository, str(e.FromRepository), str(ev.Target.FromRepository)},
	}
	rest = append(rest, referencesCmp(e, ev)...)
	rest = append(rest,
		cmp{FieldMethod, str(e.Method), str(ev.Request.Method)},
		cmp{FieldUserAgent, str(e.UserAgent), str(ev.Request.UserAgent)},
		cmp{FieldHost, str(e.Host), str(ev.Request.Host)},
		cmp{FieldRequestID, "present", present(ev.Request.ID)},
		cmp{FieldActor, str(e.Actor), str(ev.Actor.Name)},
	)
	if e.SourceAddr != "" {
		rest = append(rest, cmp{FieldSourceAddr, str(e.SourceAddr), str(ev.Source.Addr)})
	} else {
		// The load cannot know the registry's hostname, but Distribution
		// always says where an event comes from.
		rest = append(rest, cmp{FieldSourceAddr, "present", present(ev.Source.Addr)})
	}
	rest = append(rest, cmp{FieldSourceInstance, "present", present(ev.Source.InstanceID)})
	ts := "present"
	if ev.Timestamp.IsZero() {
		ts = "absent"
	}
	rest = append(rest, cmp{FieldID, "present", present(ev.ID)}, cmp{FieldTimestamp, "present", ts})
	for _, c := range rest {
		if c.want != c.got && !slices.Contains(e.Unchecked, rootField(c.field)) {
			return c.field, c.want, c.got, false
		}
	}
	return "", "", "", true
}

// referencesCmp compares references element by element, naming the first
// element and field that differ (target.references[1].digest).
func referencesCmp(e Entry, ev Event) []fieldCmp {
	type cmp = fieldCmp
	w, g := e.References, ev.Target.References
	if len(w) != len(g) {
		return []cmp{{FieldReferences, fmt.Sprintf("%d descriptors", len(w)), fmt.Sprintf("%d descriptors", len(g))}}
	}
	var out []cmp
	for i := range w {
		p := fmt.Sprintf("%s[%d].", FieldReferences, i)
		out = append(out,
			cmp{p + "mediaType", strconv.Quote(w[i].MediaType), strconv.Quote(g[i].MediaType)},
			cmp{p + "digest", strconv.Quote(w[i].Digest.String()), strconv.Quote(g[i].Digest.String())},
			cmp{p + "size", strconv.FormatInt(w[i].Size, 10), strconv.FormatInt(g[i].Size, 10)},
		)
		// Anything else a descriptor may carry (annotations, platform,
		// urls, artifactType) must be exactly what the manifest said.
		wj, _ := json.Marshal(w[i])
		gj, _ := json.Marshal(g[i])
		out = append(out, cmp{FieldReferences + fmt.Sprintf("[%d]", i), string(wj), string(gj)})
	}
	return out
}

// fieldCmp is one field's expected and delivered value, quoted.
type fieldCmp struct{ field, want, got string }

// rootField maps target.references[1].digest to target.references, so
// that Unchecked can name a whole field.
func rootField(f string) string {
	for i := 0; i < len(f); i++ {
		if f[i] == '[' {
			return f[:i]
		}
	}
	return f
}
