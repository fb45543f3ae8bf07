package scenarios

import (
	"reflect"
	"testing"

	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/docker"
	"github.com/hookbench/hookbench/harness/runtime/inprocess"
	"github.com/hookbench/hookbench/harness/runtime/process"
)

func TestCatalogIsValidAndCountsAgree(t *testing.T) {
	c, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	all := c.All()
	if len(all) < 12 {
		t.Fatalf("catalog has %d scenarios, want at least 12", len(all))
	}
	for _, s := range all {
		owed := 0
		for _, p := range s.Load {
			if n := p.Expected(); n >= 0 {
				owed += n
			}
		}
		for _, e := range s.Endpoints {
			if len(e.Ignore.Actions)+len(e.Ignore.MediaTypes)+len(e.IgnoredMediaTypes) > 0 {
				continue // the reconciliation computes what ignore rules leave
			}
			if want, ok := s.Expect.Final[e.Name]["Events"]; ok && want != owed {
				t.Errorf("%s: endpoint %s expects Events %d but the load owes %d", s.Name, e.Name, want, owed)
			}
		}
	}
}

// Suites select scenarios by label and runtime only: every label they
// use must select something, and every runtime named must exist.
func TestLabelsAndRuntimesSelectScenarios(t *testing.T) {
	c, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{LabelKill9, LabelOutage, LabelLossReport, LabelCluster,
		LabelCatchesDroppedEvents, LabelCatchesForgottenPending, LabelCatchesFailureAsSuccess} {
		if len(c.Select(func(s model.Scenario) bool { return s.HasLabel(l) })) == 0 {
			t.Errorf("label %s selects no scenario", l)
		}
	}
	for _, s := range c.All() {
		for _, r := range s.Runtimes {
			if r != "inprocess" && r != "process" && r != "docker" && r != RuntimeCluster {
				t.Errorf("%s: unknown runtime %q", s.Name, r)
			}
		}
	}
}

// A scenario's chaos must be possible on every runtime it is meant for
// (all three when it names none), or the suites would only skip it.
func TestChaosFitsTheRuntimes(t *testing.T) {
	runtimes := map[string]runtime.Runtime{
		"inprocess": (*inprocess.Runtime)(nil), "process": (*process.Runtime)(nil), "docker": (*docker.Runtime)(nil),
		RuntimeCluster: (*docker.Cluster)(nil),
	}
	for _, s := range MustCatalog().All() {
		names := s.Runtimes
		if len(names) == 0 {
			names = []string{"inprocess", "process", "docker"}
		}
		for _, n := range names {
			if err := chaos.CheckAll(runtimes[n], s.Chaos, s.AfterLoad); err != nil {
				t.Errorf("%s on %s: %v", s.Name, n, err)
			}
		}
	}
}

// Every file decodes, validates, round-trips (decode, encode, decode:
// equal), and is kept in the form `harness show` writes it, give or take
// comments and line breaks.
func TestFilesRoundTrip(t *testing.T) {
	fsys, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(fsys) < 30 {
		t.Fatalf("%d scenario files, want at least 30", len(fsys))
	}
	for name, b := range fsys {
		s, err := model.DecodeFile(name, b)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		out, err := model.EncodeFile(s)
		if err != nil {
			t.Errorf("%s: encode: %v", name, err)
			continue
		}
		back, err := model.DecodeFile(name, out)
		if err != nil {
			t.Errorf("%s: encoded form does not decode: %v\n%s", name, err, out)
			continue
		}
		if !reflect.DeepEqual(back, s) {
			t.Errorf("%s: decode -> encode -> decode differs:\n%s", name, out)
		}
	}
}
