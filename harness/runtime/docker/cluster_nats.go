package docker

import (
	"context"
	"errors"

	"github.com/moby/moby/client"
)

// natsImage: the nats-server image needs servers' nats-server build
// helper, which comes with the nats queue.
func natsImage(ctx context.Context, cli *client.Client, dir string) (string, error) {
	return "", errors.New("docker: no nats-server image yet: the nats queue is not merged")
}

// startNATS starts the 3-node JetStream cluster; it comes with the nats queue.
func (c *Cluster) startNATS(ctx context.Context) ([]string, error) {
	return nil, errors.New("docker cluster: the nats queue is not merged yet")
}
