package docker

import (
	"context"

	"github.com/moby/moby/client"
)

// ID is the runtime's label value (io.hookbench=ID) on everything it made.
func (r *Runtime) ID() string { return r.id }

// Objects lists the containers, networks and volumes labelled
// io.hookbench=id: empty once the runtime with that ID was closed. Unlike
// SessionObjects it sees only that runtime's, whoever else uses the engine.
func Objects(ctx context.Context, id string) ([]string, error) {
	cli, err := newClient()
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	mine := client.Filters{}.Add("label", LabelHookbench+"="+id)
	var out []string
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: mine})
	if err != nil {
		return nil, err
	}
	for _, c := range cs.Items {
		out = append(out, "container "+c.ID[:12]+" "+c.Image)
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: mine})
	if err != nil {
		return nil, err
	}
	for _, n := range ns.Items {
		out = append(out, "network "+n.Name)
	}
	vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: mine})
	if err != nil {
		return nil, err
	}
	for _, v := range vs.Items {
		out = append(out, "volume "+v.Name)
	}
	return out, nil
}
