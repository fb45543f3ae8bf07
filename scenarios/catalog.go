// Package scenarios is the scenario catalog: one YAML file per scenario,
// embedded (files.go), in the form model.DecodeFile reads. Adding a
// scenario means adding one file here; `harness validate FILE` checks it
// and `harness schema` gives an editor its keys.
package scenarios

import (
	"fmt"

	"github.com/hookbench/hookbench/harness/model"
)

// Labels that suites select scenarios by.
const (
	// LabelKill9: the point is a registry kill; suites also run these as
	// processes, where the kill is a real SIGKILL.
	LabelKill9 = "kill-9"
	// LabelOutage: Errors rise during a fault and every event is delivered
	// after it; suites add those assertions on the samples.
	LabelOutage = "outage"
	// LabelLossReport: events may be lost on purpose; suites report how
	// many, and check only that nothing else went wrong.
	LabelLossReport = "loss-report"
	// The self-test breaks our notifier with one fault hook
	// (notifications.Faults) and runs the scenarios labelled for it: each
	// must fail, naming the broken counter.
	LabelCatchesDroppedEvents    = "catches-dropped-events"     // DropOneIn
	LabelCatchesForgottenPending = "catches-forgotten-pending"  // ForgetPendingDecrement
	LabelCatchesFailureAsSuccess = "catches-failure-as-success" // CountFailureAsSuccess
)

// Catalog returns a fresh catalog of every scenario file; an invalid or
// duplicate scenario is an error naming its file, line and key.
//
// Every built-in scenario is a file: none needs Go. A Go scenario is for
// what a file cannot say (a chaos action of a program's own, which has no
// file form); such a program adds it to the catalog with model.Catalog.Add.
func Catalog() (*model.Catalog, error) {
	ss, err := decodeAll()
	if err != nil {
		return nil, err
	}
	c := &model.Catalog{}
	for _, s := range ss {
		if err := c.Add(s); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// MustCatalog is Catalog for callers that treat a bad catalog as a bug.
func MustCatalog() *model.Catalog {
	c, err := Catalog()
	if err != nil {
		panic(fmt.Sprintf("scenarios: %v", err))
	}
	return c
}
