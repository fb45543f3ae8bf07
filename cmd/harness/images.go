package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"

	"github.com/hookbench/hookbench/harness/runtime/docker"
)

// cmdImages builds the offline container images (cached by content hash).
func cmdImages(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("images", flag.ContinueOnError)
	root := fs.String("root", ".", "module root to build from")
	if err := fs.Parse(args); err != nil {
		return err
	}
	images, err := docker.BuildImages(ctx, *root)
	if err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(images)) {
		fmt.Printf("%s\t%s\n", k, images[k])
	}
	return nil
}
