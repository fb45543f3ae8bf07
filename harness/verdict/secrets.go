package verdict

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hookbench/hookbench/harness/model"
)

// Page is a page the registry serves, as read at the end of a run.
type Page struct {
	Body []byte
	Err  error // it could not be read: the check fails, not passes
}

// SecretChecks is one check per page the registry serves (its /debug/vars,
// its Prometheus page): none may contain a secret's value. A failure names
// the secret by what it is, never by its value.
func SecretChecks(secrets []model.Secret, pages map[string]Page) []Check {
	if len(secrets) == 0 {
		return nil
	}
	var checks []Check
	for _, name := range slices.Sorted(maps.Keys(pages)) {
		p := pages[name]
		var shown []string
		for _, s := range secrets {
			// Short values would match by accident; scenarios use long ones.
			if len(s.Value) >= 6 && strings.Contains(string(p.Body), s.Value) {
				shown = append(shown, s.What)
			}
		}
		obs := fmt.Sprintf("none of %d secrets shown", len(secrets))
		switch {
		case p.Err != nil:
			obs = "could not be read: " + p.Err.Error()
		case len(shown) > 0:
			obs = "shows the value of " + strings.Join(shown, ", ")
		}
		checks = append(checks, Check{Kind: KindSecrets, Name: "Secrets[" + name + "]", Registry: name, Observed: obs,
			OK: p.Err == nil && len(shown) == 0, Note: "header values, URL passwords and query values must be redacted"})
	}
	return checks
}
