package model

import (
	"encoding/json"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/load"
)

// Schema is the JSON Schema (draft 2020-12) of a scenario file, for
// editors' completion and checks (yaml-language-server, VS Code). It is
// made from File's yaml keys by reflection, so it follows the model.
// DecodeFile remains the judge: a schema cannot say everything it checks.
func Schema() ([]byte, error) {
	g := schemaGen{defs: map[string]any{}}
	root := g.of(reflect.TypeOf(File{}))
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://github.com/hookbench/hookbench/scenario.schema.json"
	root["title"] = "hookbench scenario"
	root["description"] = "A test of a registry's notification pipeline: receivers and their faults, load, chaos timeline, expectations (harness run -f FILE)."
	if step, ok := g.defs[qualified(reflect.TypeOf(StepFile{}))].(map[string]any); ok {
		step["allOf"] = actionSchemas()
	}
	root["$defs"] = g.defs
	return json.MarshalIndent(root, "", "  ")
}

type schemaGen struct{ defs map[string]any }

// durationPattern is Go's time.ParseDuration syntax.
const durationPattern = `^[-+]?(0|([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+)$`

// enums are the closed sets of values some keys take, by Type.key.
func schemaEnums() map[string][]string {
	ops := append([]string{load.OpManifestPush, load.OpBlobPush, load.OpPull, load.OpDelete, load.OpMixed}, load.Operations()...)
	var needs []string
	for _, c := range CapabilityNames() {
		needs = append(needs, string(c))
	}
	return map[string][]string{
		"load.Profile.op":          ops,
		"load.Profile.upload":      {"single", "two-step"},
		"load.Profile.method":      {"GET", "HEAD"},
		"load.Pacing.shape":        {"constant", "linear", "sine"},
		"model.StepFile.action":    ActionNames(),
		"model.Condition.op":       ConditionOps(),
		"model.Scenario.runtimes":  RuntimeNames(),
		"model.Scenario.needs":     needs,
		"runtime.Topology.storage": {runtime.StorageFilesystem, runtime.StorageS3},
		"runtime.Topology.queue":   {runtime.QueueMemory, runtime.QueueDisk, runtime.QueueNATS},
	}
}

// schemaDocs describe the keys a reader most needs explained, by Type.key.
func schemaDocs() map[string]string {
	return map[string]string{
		"model.Scenario.name":           "Unique name; a catalog file is named NAME.yaml.",
		"model.Scenario.labels":         "Suites select scenarios by label (kill-9, outage, loss-report, catches-...).",
		"model.Scenario.runtimes":       "Runtimes this scenario is meant for (inprocess, process, docker); empty: every runtime that can.",
		"model.Scenario.registry":       "The registry config beyond the endpoints.",
		"model.Scenario.endpoints":      "Fake receivers, each with its fault profile and the registry's settings for it.",
		"model.Scenario.load":           "Load phases, run one after the other.",
		"model.Scenario.needs":          "What the registry must be able to do.",
		"model.File.chaos":              "Chaos timeline, relative to the start of the first load phase; steps in time order.",
		"model.File.afterLoad":          "A second timeline, relative to the end of the load (and of chaos).",
		"model.EndpointDef.profile":     "The fake receiver's fault profile (the admin API's JSON); {} answers 200.",
		"model.EndpointDef.timeout":     "The registry's notification timeout (default 300ms).",
		"model.EndpointDef.threshold":   "Failures before the registry backs off (default 3).",
		"model.EndpointDef.backoff":     "The registry's backoff (default 100ms).",
		"model.EndpointDef.tolerance":   "Where reconciliation cannot count exactly, and says so in the report.",
		"model.EndpointDef.delivery":    "Our registry's opt-in delivery settings (needs own-registry).",
		"model.Expect.final":            "Exact counters per endpoint after the drain: Pending, Events, Successes, Failures, Errors, DeadLettered, Retries, Batches, Statuses[<code> <text>].",
		"model.Expect.throughout":       "Conditions that hold on every sample.",
		"model.Expect.eventually":       "Conditions that hold on at least one sample.",
		"model.Expect.drainTimeout":     "Bound of the wait for Pending to reach its final value (default 15s).",
		"model.Expect.maxHeapAlloc":     "Bound of the registry's HeapAlloc on every sample, in bytes.",
		"model.Expect.deadLetterEvents": "Events expected in each endpoint's dead-letter log.",
		"model.StepFile.at":             "When, after the timeline's start.",
		"model.StepFile.action":         "The chaos action; its keys: " + actionKeysDoc(),
		"load.Profile.count":            "Stop after this many hits.",
		"load.Profile.duration":         "Stop after this long.",
		"load.Profile.mix":              "For op mixed: weight of each operation.",
	}
}

func actionKeysDoc() string {
	var b []string
	forms := ActionForms()
	for _, n := range ActionNames() {
		keys := strings.Join(forms[n].Keys, ", ")
		if keys == "" {
			keys = "none"
		}
		b = append(b, n+" ("+keys+")")
	}
	return strings.Join(b, "; ")
}

// actionSchemas: each action allows its own keys only, and requires the
// endpoint (and set-profile's profile).
func actionSchemas() []any {
	var out []any
	forms := ActionForms()
	for _, n := range ActionNames() {
		f := forms[n]
		then := map[string]any{"propertyNames": map[string]any{"enum": append([]string{"at", "action"}, f.Keys...)}}
		var req []string
		for _, k := range f.Keys {
			if requiredKey(k) {
				req = append(req, k)
			}
		}
		if len(req) > 0 {
			then["required"] = req
		}
		then["description"] = f.Doc
		out = append(out, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"action": map[string]any{"const": n}}, "required": []string{"action"}},
			"then": then,
		})
	}
	return out
}

// qualified names a type as package.Type ($defs key; load.Profile and
// endpoint.Profile are both Profile).
func qualified(t reflect.Type) string { return path.Base(t.PkgPath()) + "." + t.Name() }

func (g schemaGen) of(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeOf(time.Duration(0)), reflect.TypeOf(endpoint.Duration(0)):
		return map[string]any{"type": "string", "pattern": durationPattern, "description": "a Go duration: 300ms, 1.5s, 2m"}
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Struct:
		if t == reflect.TypeOf(File{}) {
			return g.object(t)
		}
		name := qualified(t)
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = true // placeholder against recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	return map[string]any{}
}

// object is a struct's schema: its yaml keys, inline structs merged,
// nothing else allowed (DecodeFile refuses unknown keys too).
func (g schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	enums, docs := schemaEnums(), schemaDocs()
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if opts == "inline" {
				add(f.Type)
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			p := g.of(f.Type)
			key := qualified(t) + "." + name
			if e, ok := enums[key]; ok {
				if p["type"] == "array" {
					p["items"] = map[string]any{"enum": e}
				} else {
					p = map[string]any{"enum": e}
				}
			}
			if d, ok := docs[key]; ok {
				p["description"] = d
			}
			props[name] = p
			if !strings.Contains(opts, "omitempty") && !slices.Contains([]string{"value", "at"}, name) {
				required = append(required, name)
			}
		}
	}
	add(t)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		slices.Sort(required)
		s["required"] = required
	}
	return s
}
