package model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/chaos"
)

// File is a scenario's file form (YAML; JSON is YAML too): the Scenario's
// own keys, and the chaos timelines as StepFiles.
type File struct {
	Scenario  `yaml:",inline"`
	Chaos     []StepFile `yaml:"chaos,omitempty"`
	AfterLoad []StepFile `yaml:"afterLoad,omitempty"`
}

// Problem is one thing wrong in a scenario file: where (line, key path)
// and what.
type Problem struct {
	Line int    // 1-based; 0 when unknown
	Path string // e.g. endpoints[0].profile.errorRate; "" for the whole file
	Msg  string
}

// FileError lists every problem found in one file.
type FileError struct {
	File     string
	Problems []Problem
}

// Error prints one problem per line: file:line: path: message.
func (e *FileError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
		if p.Path != "" {
			b.WriteString(p.Path + ": ")
		}
		b.WriteString(p.Msg)
	}
	return b.String()
}

// DecodeFile reads a scenario file strictly: unknown keys, bad values and
// what Scenario.Validate refuses are errors naming the line and the key
// (a *FileError). name is the file's name, for messages.
func DecodeFile(name string, data []byte) (Scenario, error) {
	fail := func(ps ...Problem) (Scenario, error) { return Scenario{}, &FileError{File: name, Problems: ps} }
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return fail(syntaxProblem(err))
	}
	if len(root.Content) == 0 {
		return fail(Problem{Line: 1, Msg: "empty file: want a scenario (harness schema shows its keys)"})
	}
	pos := positions(&root)
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return fail(syntaxProblem(err))
		}
		var ps []Problem
		for _, msg := range te.Errors {
			ps = append(ps, pos.typeProblem(msg))
		}
		return fail(ps...)
	}
	var next File
	if err := dec.Decode(&next); err != io.EOF {
		return fail(Problem{Line: pos.line("name"), Msg: "more than one document: one scenario per file"})
	}
	s, ps := f.scenario()
	ps = append(ps, check(s)...)
	if len(ps) == 0 {
		if err := s.Validate(); err != nil { // anything the checks above missed
			ps = append(ps, Problem{Msg: err.Error()})
		}
	}
	if len(ps) > 0 {
		for i := range ps {
			if ps[i].Line == 0 {
				ps[i].Line = pos.line(ps[i].Path)
			}
		}
		return fail(ps...)
	}
	return s, nil
}

// scenario builds the chaos steps of f into its Scenario.
func (f File) scenario() (Scenario, []Problem) {
	s := f.Scenario
	s.Chaos, s.AfterLoad = nil, nil
	var ps []Problem
	build := func(key string, steps []StepFile) []chaos.Step {
		var out []chaos.Step
		for i, sf := range steps {
			at := fmt.Sprintf("%s[%d]", key, i)
			st, k, err := sf.Build()
			switch {
			case err != nil && k == "profile" && sf.Profile != nil:
				ps = append(ps, profileProblem(at+".profile", err))
				continue
			case err != nil:
				ps = append(ps, Problem{Path: at + "." + k, Msg: err.Error()})
				continue
			}
			if i > 0 && sf.At < steps[i-1].At {
				ps = append(ps, Problem{Path: at + ".at", Msg: fmt.Sprintf("%s is before the step above (%s): steps run in order", sf.At, steps[i-1].At)})
			}
			out = append(out, st)
		}
		return out
	}
	s.Chaos = build("chaos", f.Chaos)
	s.AfterLoad = build("afterLoad", f.AfterLoad)
	return s, ps
}

// EncodeFile writes s as a scenario file that DecodeFile reads back equal.
func EncodeFile(s Scenario) ([]byte, error) {
	f := File{Scenario: s}
	f.Scenario.Chaos, f.Scenario.AfterLoad = nil, nil
	for _, tl := range []struct {
		steps []chaos.Step
		out   *[]StepFile
	}{{s.Chaos, &f.Chaos}, {s.AfterLoad, &f.AfterLoad}} {
		for _, st := range tl.steps {
			sf, err := FileStep(st)
			if err != nil {
				return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
			}
			*tl.out = append(*tl.out, sf)
		}
	}
	var n yaml.Node
	if err := n.Encode(f); err != nil {
		return nil, err
	}
	layout(&n)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// layout puts the timelines after the load, where a reader looks for
// them, and writes small leaves (steps, conditions, counters) one per line.
func layout(n *yaml.Node) {
	kv := n.Content
	var moved, rest []*yaml.Node
	for i := 0; i+1 < len(kv); i += 2 {
		if k := kv[i].Value; k == "chaos" || k == "afterLoad" {
			moved = append(moved, kv[i], kv[i+1])
		} else {
			rest = append(rest, kv[i], kv[i+1])
		}
	}
	at := len(rest)
	for i := 0; i+1 < len(rest); i += 2 {
		if rest[i].Value == "load" {
			at = i + 2
		}
	}
	n.Content = append(append(append([]*yaml.Node(nil), rest[:at]...), moved...), rest[at:]...)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		switch k {
		case "description":
			if len(v.Value) > 80 {
				v.Style = yaml.FoldedStyle
			}
		case "labels", "runtimes", "needs":
			v.Style = yaml.FlowStyle
		case "chaos", "afterLoad":
			for _, st := range v.Content {
				p := valueOf(st, "profile")
				switch {
				case p == nil || len(p.Content) <= 2:
					st.Style = yaml.FlowStyle
				case len(p.Content) <= 6:
					p.Style = yaml.FlowStyle
				}
			}
		case "load":
			for _, p := range v.Content {
				if pc := valueOf(p, "pacing"); pc != nil {
					pc.Style = yaml.FlowStyle
				}
			}
		case "expect":
			for j := 0; j+1 < len(v.Content); j += 2 {
				ek, ev := v.Content[j].Value, v.Content[j+1]
				switch ek {
				case "final":
					for m := 1; m < len(ev.Content); m += 2 {
						ev.Content[m].Style = yaml.FlowStyle
					}
				case "throughout", "eventually":
					for _, c := range ev.Content {
						c.Style = yaml.FlowStyle
					}
				}
			}
		case "endpoints":
			for _, e := range v.Content {
				for _, key := range []string{"profile", "tolerance", "ignore", "delivery"} {
					if t := valueOf(e, key); t != nil && len(t.Content) <= 6 {
						t.Style = yaml.FlowStyle
					}
				}
			}
		}
	}
}

func hasKey(n *yaml.Node, key string) bool { return valueOf(n, key) != nil }

func valueOf(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// spot is one key (or sequence item) of a file and where it is.
type spot struct {
	path      string
	key, val  *yaml.Node // key is nil for a sequence item
	line, col int
}

// spots are a file's keys in document order, for mapping yaml.v3's
// line-numbered messages to key paths and key paths to lines.
type spots []spot

func positions(root *yaml.Node) spots {
	var out spots
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				out = append(out, spot{path: p, key: k, val: v, line: k.Line, col: k.Column})
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				out = append(out, spot{path: p, val: c, line: c.Line, col: c.Column})
				walk(c, p)
			}
		}
	}
	walk(root, "")
	return out
}

// line is where path is, or the nearest enclosing key that is there (a
// missing key is reported where it belongs); 1 when nothing matches.
func (s spots) line(path string) int {
	for path != "" {
		for _, sp := range s {
			if sp.path == path {
				return sp.line
			}
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 1
}

var (
	lineMsg      = regexp.MustCompile(`^line (\d+): (.*)$`)
	notFound     = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	cannotRead   = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `(.*)`)? into (\\S+)$")
	alreadyThere = regexp.MustCompile(`^mapping key "(.*)" already defined at line \d+$`)
)

// typeProblem maps one of yaml.v3's "line N: ..." messages to the key.
func (s spots) typeProblem(msg string) Problem {
	m := lineMsg.FindStringSubmatch(msg)
	if m == nil {
		return Problem{Msg: msg}
	}
	line, _ := strconv.Atoi(m[1])
	p := Problem{Line: line, Msg: m[2]}
	if k := notFound.FindStringSubmatch(m[2]); k != nil {
		p.Path, p.Msg = s.find(line, func(sp spot) bool { return sp.key != nil && sp.key.Value == k[1] }), "unknown key"
		if keys := fileKeys()[k[2]]; len(keys) > 0 {
			p.Msg += " (keys: " + strings.Join(keys, ", ") + ")"
		}
		return p
	}
	if k := alreadyThere.FindStringSubmatch(m[2]); k != nil {
		p.Path, p.Msg = s.find(line, func(sp spot) bool { return sp.key != nil && sp.key.Value == k[1] }), "key repeated"
		return p
	}
	if k := cannotRead.FindStringSubmatch(m[2]); k != nil {
		shown := strings.TrimSuffix(k[2], "...")
		kind := map[string]yaml.Kind{"!!seq": yaml.SequenceNode, "!!map": yaml.MappingNode}[k[1]]
		if kind == 0 {
			kind = yaml.ScalarNode
		}
		p.Path = s.find(line, func(sp spot) bool {
			return sp.val.Kind == kind && sp.val.Line == line && strings.HasPrefix(sp.val.Value, shown)
		})
		switch want := k[3]; want {
		case "time.Duration":
			p.Msg = fmt.Sprintf("%q is not a duration: want Go syntax like 300ms or 1.5s", shown)
		case "model.File":
			p.Path, p.Msg = "", "want a scenario: a mapping of name, endpoints, load, ... (harness schema)"
		default:
			got := map[string]string{"!!seq": "a list", "!!map": "a mapping"}[k[1]]
			if got == "" {
				got = k[1] + " " + strconv.Quote(k[2])
			}
			p.Msg = fmt.Sprintf("want %s, got %s", kindWord(want), got)
		}
		return p
	}
	// Our own unmarshalers' messages (endpoint.Duration): the value on that line.
	p.Path = s.find(line, func(sp spot) bool { return sp.val.Kind == yaml.ScalarNode })
	return p
}

// find is the path of the last spot on line that ok accepts (the most
// deeply nested one), or of the first spot on the line.
func (s spots) find(line int, ok func(spot) bool) string {
	first, found := "", ""
	for _, sp := range s {
		if sp.val.Line != line && sp.line != line {
			continue
		}
		if first == "" {
			first = sp.path
		}
		if ok(sp) {
			found = sp.path
		}
	}
	if found != "" {
		return found
	}
	return first
}

// fileKeys lists the keys of every struct a file holds, by Go type name
// as yaml.v3 names it ("load.Profile").
func fileKeys() map[string][]string {
	out := map[string][]string{}
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || out[t.String()] != nil {
			return
		}
		out[t.String()] = []string{}
		var keys []string
		var add func(t reflect.Type)
		add = func(t reflect.Type) {
			for i := range t.NumField() {
				f := t.Field(i)
				name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
				switch {
				case name == "-" || !f.IsExported():
				case opts == "inline":
					add(f.Type)
				default:
					if name == "" {
						name = strings.ToLower(f.Name)
					}
					keys = append(keys, name)
					visit(f.Type)
				}
			}
		}
		add(t)
		out[t.String()] = keys
	}
	visit(reflect.TypeOf(File{}))
	return out
}

func kindWord(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping"
	}
	return "a mapping (" + goType + ")"
}

func syntaxProblem(err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := lineMsg.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Msg: m[2]}
	}
	return Problem{Msg: msg}
}

// Runtimes a scenario can name.
func RuntimeNames() []string { return []string{"inprocess", "process", "docker", "docker-cluster"} }

// Capabilities a scenario can need.
func CapabilityNames() []Capability {
	return []Capability{NeedDebugVars, NeedOwnRegistry, NeedSingleRequestUpload}
}

// Ops a condition can compare with.
func ConditionOps() []string { return []string{"<=", ">=", "==", "<", ">"} }

// check finds what Validate would refuse, and more, each at its key.
func check(s Scenario) []Problem {
	var ps []Problem
	add := func(path, format string, a ...any) {
		ps = append(ps, Problem{Path: path, Msg: fmt.Sprintf(format, a...)})
	}
	if s.Name == "" {
		add("name", "a scenario needs a name")
	}
	for i, r := range s.Runtimes {
		if !slices.Contains(RuntimeNames(), r) {
			add(fmt.Sprintf("runtimes[%d]", i), "unknown runtime %q (one of %v)", r, RuntimeNames())
		}
	}
	if err := s.Topology.Validate(); err != nil {
		add("topology", "%v", err)
	}
	for i, n := range s.Needs {
		if !slices.Contains(CapabilityNames(), n) {
			add(fmt.Sprintf("needs[%d]", i), "unknown capability %q (one of %v)", n, CapabilityNames())
		}
	}
	names := map[string]bool{}
	if len(s.Endpoints) == 0 {
		add("endpoints", "a scenario needs at least one endpoint")
	}
	for i, e := range s.Endpoints {
		at := fmt.Sprintf("endpoints[%d]", i)
		switch {
		case e.Name == "":
			add(at+".name", "an endpoint needs a name")
		case names[e.Name]:
			add(at+".name", "endpoint %q named twice", e.Name)
		}
		names[e.Name] = true
		if err := e.Profile.Validate(); err != nil {
			ps = append(ps, profileProblem(at+".profile", err))
		}
		if e.Timeout < 0 || e.Backoff < 0 || e.Threshold < 0 {
			add(at, "timeout, threshold and backoff must be >= 0")
		}
	}
	if len(s.Load) == 0 {
		add("load", "a scenario needs at least one load phase")
	}
	for i, p := range s.Load {
		if err := p.Validate(); err != nil {
			add(fmt.Sprintf("load[%d]%s", i, loadKey(err.Error())), "%v", err)
		}
	}
	for _, tl := range []struct {
		key   string
		steps []chaos.Step
	}{{"chaos", s.Chaos}, {"afterLoad", s.AfterLoad}} {
		for i, st := range tl.steps {
			if t := st.Action.Target(); t != "" && !names[t] {
				add(fmt.Sprintf("%s[%d].endpoint", tl.key, i), "unknown endpoint %q (endpoints: %v)", t, endpointNames(s))
			}
		}
	}
	for ep, cs := range s.Expect.Final {
		if !names[ep] {
			add("expect.final."+ep, "unknown endpoint %q (endpoints: %v)", ep, endpointNames(s))
		}
		for c := range cs {
			if _, err := (endpoint.EndpointMetrics{}).Counter(c); err != nil {
				add("expect.final."+ep+"."+c, "%v", err)
			}
		}
	}
	for _, list := range []struct {
		key string
		cs  []Condition
	}{{"expect.throughout", s.Expect.Throughout}, {"expect.eventually", s.Expect.Eventually}} {
		for i, c := range list.cs {
			at := fmt.Sprintf("%s[%d]", list.key, i)
			if !names[c.Endpoint] {
				add(at+".endpoint", "unknown endpoint %q (endpoints: %v)", c.Endpoint, endpointNames(s))
			}
			if _, err := (endpoint.EndpointMetrics{}).Counter(c.Counter); err != nil {
				add(at+".counter", "%v", err)
			}
			if !slices.Contains(ConditionOps(), c.Op) {
				add(at+".op", "unknown op %q (one of %v)", c.Op, ConditionOps())
			}
		}
	}
	for ep := range s.Expect.DeadLetterEvents {
		if !names[ep] {
			add("expect.deadLetterEvents."+ep, "unknown endpoint %q (endpoints: %v)", ep, endpointNames(s))
		}
	}
	if s.Expect.DrainTimeout < 0 {
		add("expect.drainTimeout", "must be >= 0")
	}
	return ps
}

func endpointNames(s Scenario) []string {
	var out []string
	for _, e := range s.Endpoints {
		out = append(out, e.Name)
	}
	return out
}

// profileKey finds the key an endpoint.Profile.Validate message is about:
// "profile.errorRate: ...", "profile: rules[0].status: ...", "profile: flap must ...".
var profileKey = regexp.MustCompile(`^profile(?:\.|: )([A-Za-z]+(?:\[\d+\])?(?:\.[A-Za-z]+(?:\[\d+\])?)*)(.*)$`)

func profileProblem(at string, err error) Problem {
	m := profileKey.FindStringSubmatch(err.Error())
	if m == nil {
		return Problem{Path: at, Msg: strings.TrimPrefix(err.Error(), "profile: ")}
	}
	key, rest := m[1], m[2]
	if msg, ok := strings.CutPrefix(rest, ": "); ok {
		return Problem{Path: at + "." + key, Msg: msg}
	}
	// "flap must be >= 0", "hang and reset are exclusive": the key is the subject.
	return Problem{Path: at + "." + strings.Split(key, ".")[0], Msg: key + rest}
}

// loadKey guesses the key a load.Profile.Validate message is about.
func loadKey(msg string) string {
	for _, k := range []struct{ word, key string }{
		{`unknown op "`, "op"}, {"mix", "mix"}, {"chunks", "chunks"}, {"needs count", "count"},
		{"distinct", "distinct"}, {"upload", "upload"}, {"method", "method"},
		{"shape", "pacing.shape"}, {"pacing", "pacing"},
	} {
		if strings.Contains(msg, k.word) {
			return "." + k.key
		}
	}
	return ""
}

// FileLine is the line of the key at path in a scenario file (or of the
// nearest enclosing key there), for problems found after decoding, such as
// a chaos action a runtime cannot perform.
func FileLine(data []byte, path string) int {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return 1
	}
	return positions(&root).line(path)
}
