package docker

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hookbench/hookbench/config"
	hrt "github.com/hookbench/hookbench/harness/runtime"
)

const rendered = `version: "0.1"
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
notifications:
  endpoints:
    - name: sink
      url: http://sink:8080/callback
      timeout: 300ms
`

func TestClusterConfigS3AndSecret(t *testing.T) {
	b, err := clusterConfig([]byte(rendered), hrt.Topology{Replicas: 3, Storage: hrt.StorageS3, Balancer: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Parse(b, []string{"REGISTRY_STORAGE_S3_SECRETKEY=x"})
	if err != nil {
		t.Fatalf("the replicas' config does not parse: %v\n%s", err, b)
	}
	if cfg.Storage.Filesystem != nil || cfg.Storage.S3 == nil || cfg.Storage.S3.RegionEndpoint != "http://s3:9000" || !cfg.Storage.Delete.Enabled {
		t.Errorf("storage: %+v", cfg.Storage)
	}
	if strings.Contains(string(b), "hookbench-secret") {
		t.Errorf("the S3 secret key is written in the config file:\n%s", b)
	}
	if !strings.Contains(string(b), "secret: "+clusterSecret) {
		t.Errorf("no shared http.secret:\n%s", b)
	}
}

func TestClusterConfigNATSQueue(t *testing.T) {
	b, err := clusterConfig([]byte(rendered), hrt.Topology{Replicas: 2, Storage: hrt.StorageS3, Queue: hrt.QueueNATS}, []string{"nats://nats-0:4222", "nats://nats-1:4222"})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Notifications struct {
			Endpoints []struct {
				Queue struct {
					Kind string
					NATS struct {
						URLs    []string
						AckWait string
					} `yaml:"nats"`
				}
			}
		}
	}
	if err := yaml.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	q := got.Notifications.Endpoints[0].Queue
	if q.Kind != "nats" || len(q.NATS.URLs) != 2 || q.NATS.AckWait != natsAckWait.String() {
		t.Errorf("queue: %+v\n%s", q, b)
	}
}

func TestNATSNodeConfRoutesToTheOthers(t *testing.T) {
	c := natsNodeConf(1, 3)
	if !strings.Contains(c, `"nats-route://nats-0:6222", "nats-route://nats-2:6222"`) || strings.Contains(c, "nats-1:6222") || !strings.Contains(c, `server_name: "n1"`) {
		t.Errorf("node 1:\n%s", c)
	}
}
