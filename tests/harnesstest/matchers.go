// Package harnesstest holds the Ginkgo helpers the suites in tests/ share.
// The Gomega matchers live in the public package hookbenchtest (other
// modules' suites use them too); the names here forward to them.
package harnesstest

import (
	"github.com/onsi/gomega/types"

	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/hookbenchtest"
)

// HaveEndpointMetrics is hookbenchtest.HaveEndpointMetrics.
func HaveEndpointMetrics(name string, want model.Counters) types.GomegaMatcher {
	return hookbenchtest.HaveEndpointMetrics(name, want)
}

// HavePending is hookbenchtest.HavePending.
func HavePending(name string, n int) types.GomegaMatcher { return hookbenchtest.HavePending(name, n) }

// HaveStatusCount is hookbenchtest.HaveStatusCount.
func HaveStatusCount(name string, code, n int) types.GomegaMatcher {
	return hookbenchtest.HaveStatusCount(name, code, n)
}

// BeReconciled is hookbenchtest.BeReconciled.
func BeReconciled() types.GomegaMatcher { return hookbenchtest.BeReconciled() }

// Pass is hookbenchtest.Pass.
func Pass() types.GomegaMatcher { return hookbenchtest.Pass() }

// FailCheck is hookbenchtest.FailCheck.
func FailCheck(name string) types.GomegaMatcher { return hookbenchtest.FailCheck(name) }
