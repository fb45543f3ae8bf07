// Package verdict decides a run: reconciliation (what the load owes, what
// each receiver recorded and answered, what the registry reports) and the
// scenario's expectations, as one list of named checks. A run passes when
// every check holds; nothing else decides.
package verdict

import (
	"fmt"
	"slices"
	"strings"
)

// Kinds of check.
const (
	KindReconcile = "reconcile" // the registry against independent observation
	KindExpect    = "expect"    // the registry against the scenario's expectation
	KindSecrets   = "secrets"   // no secret of the scenario shown by the registry
)

// Check is one named comparison.
type Check struct {
	Endpoint string `json:"endpoint,omitempty"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Registry string `json:"registry"` // the registry's side
	// Observed is the independent side: what was observed, or for an
	// expectation what the scenario expects.
	Observed string `json:"observed"`
	OK       bool   `json:"ok"`
	Note     string `json:"note,omitempty"`
}

func (c Check) String() string {
	other := "observed"
	if c.Kind == KindExpect {
		other = "expected"
	}
	s := fmt.Sprintf("%s: registry %s, %s %s", c.Name, c.Registry, other, c.Observed)
	if c.Endpoint != "" {
		s = "endpoint " + c.Endpoint + ": " + s
	}
	if c.Note != "" {
		s += " (" + c.Note + ")"
	}
	return s
}

// Verdict is every check of a run.
type Verdict struct {
	Checks []Check `json:"checks"`
}

// Failed returns the checks that did not hold, of the given kinds (all
// kinds when none is given).
func (v Verdict) Failed(kinds ...string) []Check {
	var out []Check
	for _, c := range v.Checks {
		if c.OK {
			continue
		}
		if len(kinds) == 0 || slices.Contains(kinds, c.Kind) {
			out = append(out, c)
		}
	}
	return out
}

// Passed reports whether every check held.
func (v Verdict) Passed() bool { return len(v.Failed()) == 0 }

// Err names every failed check, or returns nil.
func (v Verdict) Err() error {
	var parts []string
	for _, k := range []struct{ kind, title string }{
		{KindReconcile, "reconciliation failed"}, {KindExpect, "expectations failed"}, {KindSecrets, "secrets shown"},
	} {
		var lines []string
		for _, c := range v.Failed(k.kind) {
			lines = append(lines, c.String())
		}
		if len(lines) > 0 {
			parts = append(parts, k.title+":\n  "+strings.Join(lines, "\n  "))
		}
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(parts, "\n"))
}
