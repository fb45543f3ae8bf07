package app

import (
	"reflect"
	"testing"
	"time"

	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/notifications"
)

// queue.nats reaches the notifier whole, credentials included (they are
// shown nowhere: the notifier keeps them to connect).
func TestNATSQueueKeysReachTheNotifier(t *testing.T) {
	ep := config.Endpoint{Name: "a", URL: "http://h/", Queue: config.Queue{Kind: "nats", NATS: &config.NATSQueue{
		URLs: []string{"nats://n1:4222"}, Stream: "S", SubjectPrefix: "p.q", Replicas: 1, AckWait: 5 * time.Second,
		Username: "u", Password: "pw", Token: "", CredentialsFile: "/c"}}}
	got := Delivery(ep).Queue
	want := notifications.Queue{Kind: "nats", NATS: &notifications.NATS{
		URLs: []string{"nats://n1:4222"}, Stream: "S", SubjectPrefix: "p.q", Replicas: 1, AckWait: 5 * time.Second,
		Username: "u", Password: "pw", CredentialsFile: "/c"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v %+v, want %+v %+v", got, got.NATS, want, want.NATS)
	}
	if len(deliveryOptions(config.Notifications{Endpoints: []config.Endpoint{ep}})) != 1 {
		t.Fatal("a nats queue is not Distribution's default: it needs its option")
	}
	if Delivery(config.Endpoint{Name: "b", URL: "http://h/"}).Queue.NATS != nil {
		t.Fatal("NATS settings without queue.nats")
	}
}
