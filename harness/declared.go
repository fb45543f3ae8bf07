package harness

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

// declaredFinal adapts a scenario's final counters to a registry's declared
// differences (load.Target: NoTagQuery, SingleRequestUpload). A counter
// declared as everything the load owes on our registry becomes everything
// it owes on this one (load.Profile.ExpectedOn), the same declaration the
// load itself uses; every change is returned as a note for the report.
// Other counters are left as declared.
func declaredFinal(sc model.Scenario, t load.Target) (model.Scenario, []string) {
	ours, theirs := 0, 0
	for _, p := range sc.Load {
		o, d := p.Expected(), p.ExpectedOn(t)
		if o < 0 || d < 0 {
			return sc, nil // a timed phase owes no count known in advance
		}
		ours, theirs = ours+o, theirs+d
	}
	if ours == theirs {
		return sc, nil
	}
	var notes []string
	final := make(map[string]model.Counters, len(sc.Expect.Final))
	for _, ep := range slices.Sorted(maps.Keys(sc.Expect.Final)) {
		c := maps.Clone(sc.Expect.Final[ep])
		for _, k := range slices.Sorted(maps.Keys(c)) {
			if c[k] == ours {
				c[k] = theirs
				notes = append(notes, fmt.Sprintf("declared difference: endpoint %s final %s expected %d, not %d (the load owes %d on a registry with these differences, %d on ours)", ep, k, theirs, ours, theirs, ours))
			}
		}
		final[ep] = c
	}
	sc.Expect.Final = final
	return sc, notes
}
