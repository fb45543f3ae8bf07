package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/fakes/endpoint"
)

var (
	dgA = digest.FromString("a")
	dgB = digest.FromString("b")
)

// owedPush is what a manifest push by tag owes, and event the delivery
// that says exactly that.
func owedPush() (Entry, Event) {
	refs := []v1.Descriptor{{MediaType: v1.MediaTypeImageConfig, Digest: dgB, Size: 10}}
	e := Entry{Op: OpPushByTag, Action: "push", Kind: "manifest", Repository: "r", Digest: dgA.String(), Tag: "t",
		MediaType: MediaTypeManifest, Size: 5, Length: 5, URL: "http://h:1/v2/r/manifests/" + dgA.String(),
		References: refs, Method: "PUT", UserAgent: "hookbench-load/1 (op=manifest-push-by-tag; run=x; hit=0)", Host: "h:1"}
	var ev Event
	ev.ID, ev.Timestamp, ev.Action = "id1", time.Unix(1, 0), "push"
	ev.Target = EventTarget{MediaType: e.MediaType, Digest: e.Digest, Size: 5, Length: 5, Repository: "r", URL: e.URL, Tag: "t",
		References: append([]v1.Descriptor(nil), refs...)}
	ev.Request.ID, ev.Request.Method, ev.Request.UserAgent, ev.Request.Host = "rq", "PUT", e.UserAgent, "h:1"
	ev.Source.Addr, ev.Source.InstanceID = "vm:5000", "iid"
	return e, ev
}

func TestDiffAgreesOnTheSameEvent(t *testing.T) {
	e, ev := owedPush()
	if f, w, g, ok := e.Diff(ev); !ok {
		t.Fatalf("%s: want %s, got %s", f, w, g)
	}
	// Fields nobody can know are not compared, only that the source is
	// named.
	ev.Request.Addr, ev.Source.Addr, ev.Source.InstanceID = "1.2.3.4:5", "other:5000", "iid2"
	if f, _, _, ok := e.Diff(ev); !ok {
		t.Fatalf("unknowable field %s compared", f)
	}
	ev.Source.Addr = ""
	if f, _, _, ok := e.Diff(ev); ok || f != FieldSourceAddr {
		t.Fatalf("source.addr absent: %q %v", f, ok)
	}
	ev.Source.Addr, ev.Source.InstanceID = "vm:5000", ""
	if f, _, _, ok := e.Diff(ev); ok || f != FieldSourceInstance {
		t.Fatalf("source.instanceID absent: %q %v", f, ok)
	}
}

// Every checked field, altered alone, is the field Diff names, with both
// values quoted.
func TestDiffNamesEachField(t *testing.T) {
	cases := []struct {
		field     string
		alter     func(*Event)
		want, got string
	}{
		{FieldAction, func(ev *Event) { ev.Action = "pull" }, `"push"`, `"pull"`},
		{FieldRepository, func(ev *Event) { ev.Target.Repository = "s" }, `"r"`, `"s"`},
		{FieldDigest, func(ev *Event) { ev.Target.Digest = dgB.String() }, fmt.Sprintf("%q", dgA), fmt.Sprintf("%q", dgB)},
		{FieldTag, func(ev *Event) { ev.Target.Tag = "" }, `"t"`, `""`},
		{FieldMediaType, func(ev *Event) { ev.Target.MediaType = "" }, fmt.Sprintf("%q", MediaTypeManifest), `""`},
		{FieldSize, func(ev *Event) { ev.Target.Size = 0 }, "5", "0"},
		{FieldLength, func(ev *Event) { ev.Target.Length = 6 }, "5", "6"},
		{FieldURL, func(ev *Event) { ev.Target.URL = "" }, fmt.Sprintf("%q", "http://h:1/v2/r/manifests/"+dgA.String()), `""`},
		{FieldFromRepository, func(ev *Event) { ev.Target.FromRepository = "src" }, `""`, `"src"`},
		{FieldReferences, func(ev *Event) { ev.Target.References = nil }, "1 descriptors", "0 descriptors"},
		{FieldReferences + "[0].mediaType", func(ev *Event) { ev.Target.References[0].MediaType = "x" }, fmt.Sprintf("%q", v1.MediaTypeImageConfig), `"x"`},
		{FieldReferences + "[0].digest", func(ev *Event) { ev.Target.References[0].Digest = dgA }, fmt.Sprintf("%q", dgB), fmt.Sprintf("%q", dgA)},
		{FieldReferences + "[0].size", func(ev *Event) { ev.Target.References[0].Size = 11 }, "10", "11"},
		{FieldReferences + "[0]", func(ev *Event) { ev.Target.References[0].URLs = []string{"http://x"} }, "", ""},
		{FieldMethod, func(ev *Event) { ev.Request.Method = "POST" }, `"PUT"`, `"POST"`},
		{FieldUserAgent, func(ev *Event) { ev.Request.UserAgent = "curl" }, "", `"curl"`},
		{FieldHost, func(ev *Event) { ev.Request.Host = "h:2" }, `"h:1"`, `"h:2"`},
		{FieldRequestID, func(ev *Event) { ev.Request.ID = "" }, "present", "absent"},
		{FieldActor, func(ev *Event) { ev.Actor.Name = "bob" }, `""`, `"bob"`},
		{FieldID, func(ev *Event) { ev.ID = "" }, "present", "absent"},
		{FieldTimestamp, func(ev *Event) { ev.Timestamp = time.Time{} }, "present", "absent"},
	}
	for _, c := range cases {
		e, ev := owedPush()
		c.alter(&ev)
		f, w, g, ok := e.Diff(ev)
		if ok || f != c.field {
			t.Errorf("%s altered: Diff = %q, %v", c.field, f, ok)
			continue
		}
		if c.want != "" && (w != c.want || g != c.got) {
			t.Errorf("%s: want %s got %s; expected want %s got %s", c.field, w, g, c.want, c.got)
		}
	}
}

// The first differing field in Field* order is the one named.
func TestDiffNamesTheFirstField(t *testing.T) {
	e, ev := owedPush()
	ev.Request.Method = "POST"
	ev.Target.Tag = "u"
	ev.Target.Size = 1
	if f, _, _, _ := e.Diff(ev); f != FieldTag {
		t.Fatalf("first field %s, want %s", f, FieldTag)
	}
}

func TestDiffSourceAndUnchecked(t *testing.T) {
	e, ev := owedPush()
	e.SourceAddr = "vm:5000"
	ev.Source.Addr = "other:5000"
	if f, _, _, ok := e.Diff(ev); ok || f != FieldSourceAddr {
		t.Fatalf("source.addr declared and different: %q %v", f, ok)
	}
	ev.Source.Addr = "vm:5000"
	if _, _, _, ok := e.Diff(ev); !ok {
		t.Fatal("source.addr equal: differs")
	}
	ev.Actor.Name = "someone"
	e.Unchecked = []string{FieldActor}
	if f, _, _, ok := e.Diff(ev); !ok {
		t.Fatalf("unchecked actor compared: %s", f)
	}
	ev.Target.References[0].Size = 99
	e.Unchecked = append(e.Unchecked, FieldReferences)
	if f, _, _, ok := e.Diff(ev); !ok {
		t.Fatalf("unchecked references compared: %s", f)
	}
}

func TestDiffIdentityOnly(t *testing.T) {
	e, ev := owedPush()
	ev.Request.Method = "POST"
	bare := Entry{Action: e.Action, Repository: e.Repository, Digest: e.Digest, Tag: e.Tag}
	if _, _, _, ok := bare.Diff(ev); !ok {
		t.Fatal("an entry without Op compares more than identity")
	}
	ev.Partial = true
	if _, _, _, ok := e.Diff(ev); !ok {
		t.Fatal("a partial event compares more than identity")
	}
	ev.Target.Tag = "other"
	if f, _, _, ok := e.Diff(ev); ok || f != FieldTag {
		t.Fatalf("partial event with another tag: %q %v", f, ok)
	}
	ev.DecodeError = "bad json"
	if f, _, g, ok := e.Diff(ev); ok || f != FieldEvent || g != "bad json" {
		t.Fatalf("undecodable event: %q %q %v", f, g, ok)
	}
}

func TestEventOf(t *testing.T) {
	_, ev := owedPush()
	raw, _ := json.Marshal(ev)
	got := EventOf(endpoint.Delivery{ID: "id1", Event: raw})
	if got.Partial || got.Request.Method != "PUT" || len(got.Target.References) != 1 || got.Op() != OpPushByTag {
		t.Fatalf("decoded %+v", got)
	}
	got = EventOf(endpoint.Delivery{ID: "id2", Action: "push", Repository: "r", Digest: "d", Tag: "t"})
	if !got.Partial || got.Target.Tag != "t" || got.Op() != "" {
		t.Fatalf("summary %+v", got)
	}
	got = EventOf(endpoint.Delivery{ID: "id3", Event: json.RawMessage(`{"target":{"size":"big"}}`)})
	if got.DecodeError == "" {
		t.Fatal("a malformed body decoded")
	}
	if s := got.String(); !strings.HasPrefix(s, "no load operation: ") {
		t.Fatalf("String %q", s)
	}
}

func TestMatchPairsAndNames(t *testing.T) {
	e1, ev1 := owedPush()
	e2, ev2 := owedPush()
	e2.Tag, ev2.Target.Tag, ev2.ID = "t2", "t2", "id2"
	tagDel := Entry{Op: OpTagDelete, Action: "delete", Kind: "tag", Repository: "r", Tag: "gone", Method: "DELETE", UserAgent: "ua-td", Host: "h:1"}
	var evDel Event
	evDel.ID, evDel.Timestamp, evDel.Action = "id3", time.Unix(2, 0), "delete"
	evDel.Target.Repository, evDel.Target.Tag = "r", "gone"
	evDel.Request.ID, evDel.Request.Method, evDel.Request.UserAgent, evDel.Request.Host = "rq", "DELETE", "ua-td", "h:1"
	evDel.Source.Addr, evDel.Source.InstanceID = "vm:5000", "iid"
	owed := []Entry{e1, e2, tagDel}

	m := Match(owed, []Event{ev2, evDel, ev1}) // any order
	if m.Matched != 3 || len(m.Missing)+len(m.Unowed)+len(m.Mismatches) != 0 {
		t.Fatalf("exact: %+v", m)
	}

	// A wrong tag pairs by repository and digest.
	bad := ev1
	bad.Target.Tag = "v1"
	m = Match(owed, []Event{ev2, evDel, bad})
	if len(m.Mismatches) != 1 || m.Mismatches[0].Field != FieldTag || len(m.Missing) != 0 || len(m.Unowed) != 0 {
		t.Fatalf("wrong tag: %+v", m)
	}
	if s := m.Mismatches[0].String(); s != `manifest-push-by-tag: target.tag: want "t", got "v1" (event id1)` {
		t.Fatalf("message %q", s)
	}
	// A tag delete with a digest pairs by repository and tag.
	badDel := evDel
	badDel.Target.Digest = dgA.String()
	m = Match(owed, []Event{ev1, ev2, badDel})
	if len(m.Mismatches) != 1 || m.Mismatches[0].Field != FieldDigest || m.Mismatches[0].Entry.Op != OpTagDelete {
		t.Fatalf("tag delete with a digest: %+v", m)
	}
	// A wrong repository pairs by digest.
	moved := ev1
	moved.Target.Repository = "elsewhere"
	m = Match(owed, []Event{moved, ev2, evDel})
	if len(m.Mismatches) != 1 || m.Mismatches[0].Field != FieldRepository {
		t.Fatalf("wrong repository: %+v", m)
	}
	// Missing and unowed.
	stranger := ev1
	stranger.ID, stranger.Target.Digest, stranger.Target.Tag, stranger.Request.UserAgent = "id9", dgB.String(), "", "other"
	stranger.Target.Repository = "q"
	m = Match(owed, []Event{ev1, stranger})
	if m.Matched != 1 || len(m.Unowed) != 1 || m.Unowed[0] != 1 || len(m.Missing) != 2 {
		t.Fatalf("missing/unowed: %+v", m)
	}
	// One entry answers one event: the same event twice is once unowed or
	// mismatched, never matched twice.
	m = Match([]Entry{e1}, []Event{ev1, ev1})
	if m.Matched != 1 || len(m.Unowed)+len(m.Mismatches) != 1 {
		t.Fatalf("twice: %+v", m)
	}
}

// Repeated identical operations (pulls of one manifest) match one for one
// whichever order their events arrive in, GET and HEAD kept apart.
func TestMatchRepeatedIdentities(t *testing.T) {
	e, ev := owedPush()
	e.Action, ev.Action, e.Tag, ev.Target.Tag = "pull", "pull", "", ""
	var owed []Entry
	var evs []Event
	for i := 0; i < 50; i++ {
		x, y := e, ev
		y.ID = fmt.Sprint(i)
		if i%2 == 0 {
			x.Method, y.Request.Method = "HEAD", "HEAD"
		}
		owed = append(owed, x)
		evs = append([]Event{y}, evs...)
	}
	m := Match(owed, evs)
	if m.Matched != 50 {
		t.Fatalf("%+v", m)
	}
}

// Matching stays linear when thousands of operations owe events of the
// same identity (pulls of one manifest), in any arrival order.
func BenchmarkMatchRepeatedPulls(b *testing.B) {
	e, ev := owedPush()
	e.Action, ev.Action, e.Tag, ev.Target.Tag = "pull", "pull", "", ""
	const n = 20000
	owed := make([]Entry, n)
	evs := make([]Event, n)
	for i := 0; i < n; i++ {
		owed[i], evs[n-1-i] = e, ev
		ua := fmt.Sprintf("hookbench-load/1 (op=manifest-pull-get; run=x; hit=%d)", i)
		owed[i].UserAgent, evs[n-1-i].Request.UserAgent, evs[n-1-i].ID = ua, ua, fmt.Sprint(i)
	}
	b.ResetTimer()
	for b.Loop() {
		if m := Match(owed, evs); m.Matched != n {
			b.Fatalf("matched %d of %d", m.Matched, n)
		}
	}
}

// A request that got no answer may or may not have taken effect: its
// entries are Uncertain, matched when their event comes, never Missing.
func TestUncertainEntries(t *testing.T) {
	e1, ev1 := owedPush()
	e2, _ := owedPush()
	e2.Tag, e2.Uncertain = "t2", true
	e3, ev3 := owedPush()
	e3.Tag, ev3.Target.Tag, ev3.ID, e3.Uncertain = "t3", "t3", "id3", true
	m := Match([]Entry{e1, e2, e3}, []Event{ev1, ev3})
	if m.Matched != 2 || len(m.Missing) != 0 || len(m.Unowed) != 0 || m.Unsettled != 1 {
		t.Fatalf("%+v", m)
	}
	m = Match([]Entry{e1, e2}, nil)
	if len(m.Missing) != 1 || m.Unsettled != 1 {
		t.Fatalf("a certain entry undelivered must be missing: %+v", m)
	}

	r := &runner{ledger: &Ledger{}}
	r.owe(nil, e1)
	r.owe(&stepError{code: 500}, e1)
	r.owe(errors.New("connection reset by peer"), e1)
	got := r.ledger.Entries()
	if len(got) != 2 || got[0].Uncertain || !got[1].Uncertain {
		t.Fatalf("owe recorded %+v; want the answered one certain, the refused one nothing, the unanswered one uncertain", got)
	}
}
