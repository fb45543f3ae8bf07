package filesystem

import (
	"os"
	"testing"
)

// dropState removes an upload's hash state, wherever it is kept.
func dropState(t *testing.T, path string) {
	t.Helper()
	os.Remove(statePath(path))
	if err := removexattr(path, stateXattr); err != nil && !noXattr(err) {
		t.Fatal(err)
	}
	if loadHashState(path) != nil {
		t.Fatal("state still there")
	}
}
