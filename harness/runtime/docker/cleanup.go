package docker

import (
	"context"
	"errors"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Testcontainers' labels on everything it makes.
const (
	labelTestcontainers = "org.testcontainers"
	labelSession        = "org.testcontainers.sessionId"
)

// Leftovers are what Cleanup removed.
type Leftovers struct {
	Containers, Networks, Volumes []string
}

// Cleanup removes containers, networks and volumes left by earlier test
// sessions (Ryuk is off, so a killed test process leaves them behind): every
// object labelled by testcontainers with another session id, and every
// hookbench volume. Call it once at suite start, before this process makes
// anything. Two suites must not run on one engine at the same time.
func Cleanup(ctx context.Context) (Leftovers, error) {
	var out Leftovers
	cli, err := newClient()
	if err != nil {
		return out, err
	}
	defer cli.Close()
	me := testcontainers.SessionID()
	stale := func(labels map[string]string) bool {
		s, ok := labels[labelSession]
		return ok && s != me
	}
	var errs []error
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", labelTestcontainers+"=true")})
	if err != nil {
		return out, fmt.Errorf("docker cleanup: %w", err)
	}
	for _, c := range cs.Items {
		if !stale(c.Labels) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			errs = append(errs, err)
			continue
		}
		out.Containers = append(out.Containers, c.ID[:12])
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: client.Filters{}.Add("label", labelTestcontainers+"=true")})
	if err != nil {
		return out, fmt.Errorf("docker cleanup: %w", err)
	}
	for _, n := range ns.Items {
		if !stale(n.Labels) {
			continue
		}
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
			errs = append(errs, err)
			continue
		}
		out.Networks = append(out.Networks, n.Name)
	}
	vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: client.Filters{}.Add("label", LabelHookbench)})
	if err != nil {
		return out, fmt.Errorf("docker cleanup: %w", err)
	}
	for _, v := range vs.Items {
		if _, err := cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); err != nil {
			errs = append(errs, err)
			continue
		}
		out.Volumes = append(out.Volumes, v.Name)
	}
	return out, errors.Join(errs...)
}

// Ping reports whether a Docker Engine answers.
func Ping(ctx context.Context) error {
	cli, err := newClient()
	if err != nil {
		return err
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("docker engine unreachable: %w", err)
	}
	return nil
}

// SessionObjects lists the containers, networks and volumes this test
// session (testcontainers session id) or any hookbench runtime still has:
// empty after every Runtime was closed.
func SessionObjects(ctx context.Context) ([]string, error) {
	cli, err := newClient()
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	var out []string
	session := client.Filters{}.Add("label", labelSession+"="+testcontainers.SessionID())
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: session})
	if err != nil {
		return nil, err
	}
	for _, c := range cs.Items {
		out = append(out, "container "+c.ID[:12]+" "+c.Image)
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: session})
	if err != nil {
		return nil, err
	}
	for _, n := range ns.Items {
		out = append(out, "network "+n.Name)
	}
	vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: client.Filters{}.Add("label", LabelHookbench)})
	if err != nil {
		return nil, err
	}
	for _, v := range vs.Items {
		out = append(out, "volume "+v.Name)
	}
	return out, nil
}
