package model

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/load"
)

const goodFile = `name: flaky
description: a flaky receiver
endpoints:
  - name: sink
    profile: {errorRate: 0.3, errorStatus: 500, seed: 42, latency: {fixed: 5ms}}
    timeout: 300ms
    tolerance: {timeouts: true}
load:
  - op: manifest-push
    pacing: {rate: 50}
    count: 40
  - op: mixed
    count: 19
    mix: {manifest-push-by-tag: 2, blob-pull-get: 1}
chaos:
  - {at: 0s, action: stop-endpoint, endpoint: sink}
  - {at: 1s, action: start-endpoint, endpoint: sink}
  - {at: 1s, action: set-profile, endpoint: sink, profile: {hang: true}}
afterLoad:
  - {at: 0s, action: set-profile, endpoint: sink, profile: {}}
expect:
  final:
    sink: {Events: 42, 'Statuses[200 OK]': 42}
  eventually:
    - {endpoint: sink, counter: Failures, op: '>', value: 0}
  drainTimeout: 15s
  maxHeapAlloc: 134217728
`

func TestDecodeFile(t *testing.T) {
	s, err := DecodeFile("flaky.yaml", []byte(goodFile))
	if err != nil {
		t.Fatal(err)
	}
	want := Scenario{
		Name: "flaky", Description: "a flaky receiver",
		Endpoints: []EndpointDef{{Name: "sink", Timeout: 300 * time.Millisecond, Tolerance: Tolerance{Timeouts: true},
			Profile: endpoint.Profile{Fault: endpoint.Fault{ErrorRate: 0.3, ErrorStatus: 500, Seed: 42,
				Latency: &endpoint.Latency{Fixed: endpoint.Duration(5 * time.Millisecond)}}}}},
		Load: []load.Profile{
			{Op: load.OpManifestPush, Pacing: load.Pacing{Rate: 50}, Count: 40},
			{Op: load.OpMixed, Count: 19, Mix: map[string]int{load.OpPushByTag: 2, load.OpBlobGet: 1}},
		},
		Chaos: []chaos.Step{
			{At: 0, Action: chaos.StopEndpoint{Endpoint: "sink"}},
			{At: time.Second, Action: chaos.StartEndpoint{Endpoint: "sink"}},
			{At: time.Second, Action: chaos.SetProfile{Endpoint: "sink", Profile: endpoint.Profile{Fault: endpoint.Fault{Hang: true}}}},
		},
		AfterLoad: []chaos.Step{{At: 0, Action: chaos.SetProfile{Endpoint: "sink"}}},
		Expect: Expect{
			Final:        map[string]Counters{"sink": {"Events": 42, "Statuses[200 OK]": 42}},
			Eventually:   []Condition{{Endpoint: "sink", Counter: "Failures", Op: ">", Value: 0}},
			DrainTimeout: 15 * time.Second, MaxHeapAlloc: 128 << 20,
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("decoded\n%#v\nwant\n%#v", s, want)
	}
	out, err := EncodeFile(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeFile("again.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip differs:\n%s", out)
	}
}

// JSON is YAML: the same scenario as JSON decodes the same.
func TestDecodeFileJSON(t *testing.T) {
	js := `{"name": "j", "endpoints": [{"name": "sink", "profile": {"status": 503}}],
	 "load": [{"op": "manifest-push", "count": 3, "pacing": {"rate": 10}}],
	 "chaos": [{"at": "500ms", "action": "latency", "endpoint": "sink", "latency": "200ms", "jitter": "10ms"}]}`
	s, err := DecodeFile("j.json", []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Chaos[0]; got.At != 500*time.Millisecond || got.Action != (chaos.Latency{Endpoint: "sink", Delay: 200 * time.Millisecond, Jitter: 10 * time.Millisecond}) {
		t.Errorf("chaos step %#v", got)
	}
	if s.Endpoints[0].Profile.Status != 503 {
		t.Errorf("profile %#v", s.Endpoints[0].Profile)
	}
}

// Each bad file's first problem names the line and the key path.
func TestDecodeFileErrors(t *testing.T) {
	for _, c := range []struct {
		name, edit, with string
		want             string // a line of the error
	}{
		{"unknown key", "    timeout: 300ms\n", "    timeout: 300ms\n    timout: 1s\n",
			"flaky.yaml:7: endpoints[0].timout: unknown key"},
		{"unknown profile key", "seed: 42,", "seed: 42, errorRat: 1,",
			"flaky.yaml:5: endpoints[0].profile.errorRat: unknown key"},
		{"bad duration", "timeout: 300ms", "timeout: 300 ms",
			`flaky.yaml:6: endpoints[0].timeout: "300 ms" is not a duration`},
		{"bad profile duration", "fixed: 5ms", "fixed: 5 parsecs",
			`flaky.yaml:5: endpoints[0].profile.latency.fixed: duration "5 parsecs"`},
		{"bad chaos duration", "{at: 1s, action: start-endpoint", "{at: soon, action: start-endpoint",
			`flaky.yaml:17: chaos[1].at: "soon" is not a duration`},
		{"unknown chaos action", "action: start-endpoint", "action: start-endpont",
			`flaky.yaml:17: chaos[1].action: unknown chaos action "start-endpont"`},
		{"unknown endpoint in chaos", "action: start-endpoint, endpoint: sink", "action: start-endpoint, endpoint: sinc",
			`flaky.yaml:17: chaos[1].endpoint: unknown endpoint "sinc" (endpoints: [sink])`},
		{"parameter the action does not take", "action: start-endpoint, endpoint: sink", "action: start-endpoint, endpoint: sink, kbps: 3",
			"flaky.yaml:17: chaos[1].kbps: start-endpoint takes no kbps"},
		{"set-profile without profile", "profile: {hang: true}}", "}",
			"flaky.yaml:18: chaos[2].profile: set-profile needs profile"},
		{"invalid profile in chaos", "profile: {hang: true}", "profile: {hang: true, reset: true}",
			"flaky.yaml:18: chaos[2].profile.hang: hang and reset are exclusive"},
		{"steps out of order", "{at: 1s, action: start-endpoint", "{at: -1s, action: start-endpoint",
			"flaky.yaml:17: chaos[1].at: must be >= 0"},
		{"profile out of range", "errorRate: 0.3", "errorRate: 1.5",
			"flaky.yaml:5: endpoints[0].profile.errorRate: must be in [0,1], got 1.5"},
		{"unknown load op", "op: manifest-push", "op: manifest-pull",
			`flaky.yaml:9: load[0].op: load: unknown op "manifest-pull"`},
		{"unknown mix op", "manifest-push-by-tag: 2", "manifest-push-by-tog: 2",
			`flaky.yaml:14: load[1].mix: load mixed: unknown operation "manifest-push-by-tog"`},
		{"expectation for unknown endpoint", "    sink: {Events: 42", "    sinc: {Events: 42",
			`flaky.yaml:23: expect.final.sinc: unknown endpoint "sinc"`},
		{"unknown counter", "{Events: 42,", "{Event: 42,",
			`flaky.yaml:23: expect.final.sink.Event: unknown counter "Event"`},
		{"bad condition op", "op: '>'", "op: '=>'",
			`flaky.yaml:25: expect.eventually[0].op: unknown op "=>"`},
		{"string for an integer", "maxHeapAlloc: 134217728", "maxHeapAlloc: lots",
			`flaky.yaml:27: expect.maxHeapAlloc: want an integer, got !!str "lots"`},
		{"mapping for an integer", "maxHeapAlloc: 134217728", "maxHeapAlloc: {a: 1}",
			"flaky.yaml:27: expect.maxHeapAlloc: want an integer, got a mapping"},
		{"two documents", "  maxHeapAlloc: 134217728\n", "  maxHeapAlloc: 134217728\n---\nname: again\n",
			"flaky.yaml:1: more than one document"},
		{"no name", "name: flaky\n", "",
			"flaky.yaml:1: name: a scenario needs a name"},
		{"syntax", "  - op: mixed\n", "  - op: mixed\n   bad: [\n",
			"did not find expected"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(goodFile, c.edit) {
				t.Fatalf("test edit %q not in the file", c.edit)
			}
			_, err := DecodeFile("flaky.yaml", []byte(strings.Replace(goodFile, c.edit, c.with, 1)))
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err %v, want a *FileError", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error\n%v\nwant a line with\n%s", err, c.want)
			}
		})
	}
}

// Every action a file can name builds the action of that name, and its
// file form builds it again.
func TestActionFormsRoundTrip(t *testing.T) {
	prof := endpoint.Profile{Refuse: true}
	for name, form := range ActionForms() {
		one, two := 1, 2
		f := StepFile{At: time.Second, Action: name, Latency: 5, Jitter: 1, Delay: 2, After: 3, KBps: 4, Profile: &prof, Replica: &one, Node: &two}
		for _, k := range stepParamKeys() {
			if !slices.Contains(form.Keys, k) {
				f = clearKey(f, k)
			}
		}
		if slices.Contains(form.Keys, "endpoint") {
			f.Endpoint = "sink"
		}
		st, key, err := f.Build()
		if err != nil {
			t.Fatalf("%s: %s: %v", name, key, err)
		}
		if st.Action.Name() != name {
			t.Errorf("%s builds %s", name, st.Action.Name())
		}
		back, err := FileStep(st)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, f) {
			t.Errorf("%s: file form %#v, want %#v", name, back, f)
		}
	}
	if n := len(ActionForms()); n != 25 {
		t.Errorf("%d action forms, want every chaos action (25)", n)
	}
}

func clearKey(f StepFile, k string) StepFile {
	switch k {
	case "latency":
		f.Latency = 0
	case "jitter":
		f.Jitter = 0
	case "delay":
		f.Delay = 0
	case "after":
		f.After = 0
	case "kbps":
		f.KBps = 0
	case "profile":
		f.Profile = nil
	case "replica":
		f.Replica = nil
	case "node":
		f.Node = nil
	}
	return f
}

// Types that also travel as JSON (the fake's admin API, reports) use one
// word per key in both forms.
func TestYAMLKeysAreJSONKeys(t *testing.T) {
	for _, v := range []any{endpoint.Profile{}, endpoint.Fault{}, endpoint.Rule{}, endpoint.Latency{},
		load.Profile{}, load.Pacing{}, Tolerance{}, Ignore{}} {
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			f := rt.Field(i)
			js, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			ys, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if f.Anonymous {
				if f.Tag.Get("yaml") != ",inline" {
					t.Errorf("%s.%s: embedded, want yaml:\",inline\"", rt, f.Name)
				}
				continue
			}
			if js != ys {
				t.Errorf("%s.%s: json %q, yaml %q", rt, f.Name, js, ys)
			}
		}
	}
}

// The schema is JSON, and it knows every key a valid file uses.
func TestSchemaCoversAFile(t *testing.T) {
	b, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	if schema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema %v", schema["$schema"])
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(goodFile), &doc); err != nil {
		t.Fatal(err)
	}
	defs := schema["$defs"].(map[string]any)
	var walk func(n *yaml.Node, s map[string]any, path string)
	walk = func(n *yaml.Node, s map[string]any, path string) {
		if ref, ok := s["$ref"].(string); ok {
			s = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		switch n.Kind {
		case yaml.MappingNode:
			props, _ := s["properties"].(map[string]any)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				sub, ok := props[k].(map[string]any)
				if !ok {
					sub, ok = s["additionalProperties"].(map[string]any)
				}
				if !ok {
					t.Errorf("%s.%s: not in the schema", path, k)
					continue
				}
				walk(n.Content[i+1], sub, path+"."+k)
			}
		case yaml.SequenceNode:
			items, ok := s["items"].(map[string]any)
			if !ok {
				t.Errorf("%s: a list, the schema says %v", path, s)
				return
			}
			for _, c := range n.Content {
				walk(c, items, path+"[]")
			}
		case yaml.ScalarNode:
			if e, ok := s["enum"].([]any); ok && !slices.Contains(e, any(n.Value)) {
				t.Errorf("%s: %q not in the schema's enum %v", path, n.Value, e)
			}
		}
	}
	walk(doc.Content[0], schema, "goodFile")
	// and the built-in catalog's files
	paths, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no catalog files: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		walk(doc.Content[0], schema, filepath.Base(p))
	}
}

// Every key of the file form is named on purpose: a field added to the
// model without a yaml tag would get a key nobody chose.
func TestEveryFileKeyIsTagged(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var visit func(rt reflect.Type)
	visit = func(rt reflect.Type) {
		for rt.Kind() == reflect.Pointer || rt.Kind() == reflect.Slice || rt.Kind() == reflect.Map {
			rt = rt.Elem()
		}
		if rt.Kind() != reflect.Struct || seen[rt] || rt.PkgPath() == "time" {
			return
		}
		seen[rt] = true
		for i := range rt.NumField() {
			f := rt.Field(i)
			if !f.IsExported() {
				continue
			}
			tag, ok := f.Tag.Lookup("yaml")
			if !ok {
				t.Errorf("%s.%s has no yaml tag: name its key in scenario files (or yaml:\"-\")", rt, f.Name)
			}
			if tag != "-" {
				visit(f.Type)
			}
		}
	}
	visit(reflect.TypeOf(File{}))
}
