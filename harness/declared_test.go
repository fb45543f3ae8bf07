package harness

import (
	"strings"
	"testing"

	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func TestDeclaredFinalFollowsTheLoadsDeclaration(t *testing.T) {
	mixed := load.Profile{Op: load.OpMixed, Count: len(load.Operations())}
	sc := model.Scenario{Load: []load.Profile{mixed}, Expect: model.Expect{Final: map[string]model.Counters{
		"sink": {"Events": mixed.Expected(), "Successes": mixed.Expected(), "Failures": 0, "Pending": 0}}}}
	noTag := load.Target{NoTagQuery: true}
	got, notes := declaredFinal(sc, noTag)
	want := mixed.ExpectedOn(noTag)
	if want == mixed.Expected() {
		t.Fatal("the mix owes the same with ?tag= ignored: the test proves nothing")
	}
	if c := got.Expect.Final["sink"]; c["Events"] != want || c["Successes"] != want || c["Failures"] != 0 {
		t.Fatalf("final %v, want Events and Successes %d", c, want)
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "declared difference") || !strings.Contains(notes[0], "Events") {
		t.Fatalf("notes %q", notes)
	}
	if sc.Expect.Final["sink"]["Events"] != mixed.Expected() {
		t.Fatal("the caller's scenario was changed")
	}
	// Our registry declares nothing: nothing changes, nothing noted.
	if _, notes := declaredFinal(sc, load.Target{SingleRequestUpload: true}); notes != nil {
		t.Fatalf("notes %q on our registry", notes)
	}
}
