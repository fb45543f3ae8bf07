package runtime

import "testing"

func TestTopologyValidate(t *testing.T) {
	for _, tc := range []struct {
		t  Topology
		ok bool
	}{
		{Topology{}, true},
		{Topology{Replicas: 3, Storage: StorageS3, Queue: QueueNATS, Balancer: true}, true},
		{Topology{Replicas: 1, Queue: QueueDisk}, true},
		{Topology{Replicas: 2}, false}, // replicas on separate filesystems
		{Topology{Storage: "gcs"}, false},
		{Topology{Queue: "kafka"}, false},
		{Topology{Replicas: -1}, false},
	} {
		if err := tc.t.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v", tc.t, err)
		}
	}
	if (Topology{}).Clustered() || !(Topology{Storage: StorageS3}).Clustered() || !(Topology{Queue: QueueNATS}).SharedPending() {
		t.Error("Clustered/SharedPending")
	}
}
