package verdict

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/observe"
)

// Run is what expectations are checked against.
type Run struct {
	Scenario model.Scenario
	Started  time.Time
	Final    map[string]endpoint.EndpointMetrics
	Samples  []observe.Sample
	Chaos    []chaos.Record
	// StorageDir is the registry's storage directory on this host, "" when
	// it is not local (dead-letter files are then not read).
	StorageDir string
}

// Expectations checks the scenario's expectations (Kind "expect"): chaos
// performed, final counters, conditions throughout and at some point, the
// heap bound, counters never going down while the registry lives, and
// dead-letter files. Notes say what could not be checked.
func Expectations(r Run) (checks []Check, notes []string) {
	sc := r.Scenario
	add := func(ep, name string, reg, want any, ok bool, note string) {
		checks = append(checks, Check{Endpoint: ep, Kind: KindExpect, Name: name, Registry: fmt.Sprint(reg), Observed: fmt.Sprint(want), OK: ok, Note: note})
	}
	for _, c := range r.Chaos {
		add(c.Endpoint, "Chaos "+c.Action, orDash(c.Error), "performed", c.Error == "", "at "+c.At.Round(time.Millisecond).String())
	}
	for _, name := range slices.Sorted(maps.Keys(sc.Expect.Final)) {
		want := sc.Expect.Final[name]
		m := r.Final[name]
		for _, counter := range slices.Sorted(maps.Keys(want)) {
			got, err := m.Counter(counter)
			if err != nil {
				add(name, "Final "+counter, err, want[counter], false, "")
				continue
			}
			add(name, "Final "+counter, got, want[counter], got == want[counter], "all: "+m.String())
		}
	}
	for _, c := range sc.Expect.Throughout {
		broken := ""
		for _, s := range r.Samples {
			if s.Error != "" {
				continue
			}
			ok, got, err := c.Holds(s.Endpoints)
			if err != nil || !ok {
				broken = fmt.Sprintf("%d at %s %s", got, s.At.Sub(r.Started).Round(time.Millisecond), errOrEmpty(err))
				break
			}
		}
		add(c.Endpoint, "Throughout "+c.String(), orDash(broken), "on every sample", broken == "",
			fmt.Sprintf("%d samples", len(r.Samples)))
	}
	for _, c := range sc.Expect.Eventually {
		held := false
		for _, s := range r.Samples {
			if ok, _, _ := c.Holds(s.Endpoints); ok && s.Error == "" {
				held = true
				break
			}
		}
		add(c.Endpoint, "At some point "+c.String(), map[bool]string{true: "held", false: "never held"}[held],
			"on one sample at least", held, fmt.Sprintf("%d samples", len(r.Samples)))
	}
	if sc.Expect.MaxHeapAlloc > 0 {
		worst := uint64(0)
		at := time.Duration(0)
		for _, s := range r.Samples {
			if s.Error == "" && s.Mem.HeapAlloc > worst {
				worst, at = s.Mem.HeapAlloc, s.At.Sub(r.Started).Round(time.Millisecond)
			}
		}
		add("", "Heap", fmt.Sprintf("HeapAlloc at most %d MiB (at %s)", worst>>20, at), fmt.Sprintf("at most %d MiB", sc.Expect.MaxHeapAlloc>>20),
			worst <= sc.Expect.MaxHeapAlloc, "memstats of /debug/vars on every sample")
	}
	if !chaos.RestartsRegistry(sc.Timeline()) {
		checks = append(checks, monotonic(r.Samples)...)
	}
	dl, n := deadLetterFiles(sc, r.StorageDir)
	return append(checks, dl...), append(notes, n...)
}

// monotonic: counters never go down while the registry runs.
func monotonic(samples []observe.Sample) []Check {
	first := map[string]string{}
	prev := map[string]endpoint.EndpointMetrics{}
	for _, s := range samples {
		if s.Error != "" {
			continue
		}
		for name, m := range s.Endpoints {
			p, ok := prev[name]
			if ok && first[name] == "" && (m.Events < p.Events || m.Successes < p.Successes || m.Failures < p.Failures || m.Errors < p.Errors) {
				first[name] = fmt.Sprintf("went down from %s to %s", p, m)
			}
			prev[name] = m
		}
	}
	var out []Check
	for _, name := range slices.Sorted(maps.Keys(prev)) {
		out = append(out, Check{Endpoint: name, Kind: KindExpect, Name: "Monotonic", Registry: orDash(first[name]),
			Observed: "counters never go down", OK: first[name] == "", Note: "Events, Successes, Failures, Errors"})
	}
	return out
}

// deadLetterFiles counts the events in each endpoint's dead-letter log
// against Expect.DeadLetterEvents; without local storage a note says so
// (the DeadLettered counter is still checked).
func deadLetterFiles(sc model.Scenario, dir string) ([]Check, []string) {
	if len(sc.Expect.DeadLetterEvents) == 0 {
		return nil, nil
	}
	if dir == "" {
		return nil, []string{"dead-letter files not checked: the runtime's storage is not on this host"}
	}
	var out []Check
	for _, name := range slices.Sorted(maps.Keys(sc.Expect.DeadLetterEvents)) {
		want := sc.Expect.DeadLetterEvents[name]
		path := filepath.Join(dir, model.DeadLetterFile(name))
		got, err := CountDeadLetterEvents(path)
		c := Check{Endpoint: name, Kind: KindExpect, Name: "Dead-letter file", Registry: fmt.Sprintf("%d events in %s", got, path),
			Observed: fmt.Sprint(want), OK: err == nil && got == want}
		if err != nil {
			c.Registry = err.Error()
		}
		out = append(out, c)
	}
	return out, nil
}

// CountDeadLetterEvents counts events in a JSON-lines dead-letter log
// (notifications.DeadLetterRecord: {"events": [...]}, one per line).
func CountDeadLetterEvents(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for line := 1; sc.Scan(); line++ {
		var rec struct {
			Events []json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return n, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		n += len(rec.Events)
	}
	return n, sc.Err()
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return "(" + err.Error() + ")"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
