package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/docker"
)

// newClusterRuntime is --runtime docker-cluster: the scenario's topology
// (replicas on S3 behind the balancer, a shared queue) in containers, from
// images built offline (docs/cluster.md). Unlike --runtime docker it
// removes nothing it did not make.
func newClusterRuntime(ctx context.Context, topo runtime.Topology, o harness.RunOptions, cleanup func()) (runtime.Runtime, harness.RunOptions, func(), error) {
	if o.Binary != nil {
		return nil, o, cleanup, errors.New("--registry-binary needs --runtime process")
	}
	if !topo.Clustered() {
		return nil, o, cleanup, errors.New("--runtime docker-cluster runs scenarios with a topology (harness list: runtime docker-cluster)")
	}
	images, err := docker.BuildImages(ctx, ".")
	if err != nil {
		return nil, o, cleanup, err
	}
	fmt.Fprintf(os.Stderr, "building the cluster images (MinIO's binary takes minutes the first time) ...\n")
	more, err := docker.BuildClusterImages(ctx, ".", topo)
	if err != nil {
		return nil, o, cleanup, err
	}
	maps.Copy(images, more)
	rt, err := docker.NewCluster(ctx, images, topo, docker.WithLogf(func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}))
	return rt, o, cleanup, err
}
