//go:build hookbench_pending

package main

import (
	"context"
	"errors"
)

func cmdImages(ctx context.Context, args []string) error {
	return errors.New("not available yet: harness/docker does not expose BuildImages")
}
