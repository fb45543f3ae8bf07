package main

import (
	"context"
	"flag"
	"fmt"
	"sort"

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
	names := make([]string, 0, len(images))
	for k := range images {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Printf("%s\t%s\n", k, images[k])
	}
	return nil
}
