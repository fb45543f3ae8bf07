// Package example shows hookbench used from another module's tests: a
// plain `testing` test (receiver_test.go) and a Ginkgo suite
// (suite_test.go), both on the in-process runtime (no Docker needed).
// Run them with `cd examples && go test ./...` or `make examples`.
package example
