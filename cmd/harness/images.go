package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/hookbench/hookbench/harness/runtime/docker"
)

// cmdImages builds the offline container images (cached by content hash).
func cmdImages(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("images", flag.ContinueOnError)
	root := fs.String("root", ".", "module root to build from")
	dist := fs.Bool("distribution", false, "also build CNCF Distribution "+docker.DistributionVersion+" from the Go module proxy as "+docker.DistributionImage+" (a ready peer for --registry-image)")
	cache := fs.String("cache", "", "with --distribution: where the binary is kept (default: the user cache dir)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dist {
		ref, err := docker.BuildDistribution(ctx, *cache, os.Stderr)
		if err != nil {
			return err
		}
		fmt.Printf("distribution\t%s\t(harness run SCENARIO --registry-image %s --no-tag-query)\n", ref, ref)
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
