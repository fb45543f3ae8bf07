package model

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/harness/runtime"
)

// parse renders eps' config template with fixed addresses and reads it
// back with the registry's own parser.
func parse(t *testing.T, eps ...EndpointDef) (string, *config.Config) {
	t.Helper()
	urls := map[string]string{}
	for _, e := range eps {
		urls[e.Name] = "http://127.0.0.1:1/" + e.Name
	}
	tmpl, err := ConfigTemplateFor(RegistryFragment{DeleteEnabled: true}, eps, urls)
	if err != nil {
		t.Fatal(err)
	}
	data, err := runtime.RenderConfig(tmpl, runtime.Addrs{Addr: "127.0.0.1:0", DebugAddr: "127.0.0.1:0", StorageDir: "/data"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, warnings, err := config.Parse(data, nil)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("rendered config rejected: %v %v\n%s", err, warnings, data)
	}
	return string(data), cfg
}

func TestDeliverySettingsRender(t *testing.T) {
	text, cfg := parse(t, EndpointDef{Name: "plain", Headers: map[string][]string{"Authorization": {"Bearer x"}}})
	for _, ours := range []string{"queue", "batch", "concurrency", "signing", "retry", "deadletter", "disabled"} {
		if strings.Contains(text, ours+":") {
			t.Errorf("zero settings must render Distribution's keys only, found %s:\n%s", ours, text)
		}
	}
	e := cfg.Notifications.Endpoints[0]
	if e.Timeout != DefaultScenarioTimeout || e.Threshold != DefaultScenarioThreshold || e.Backoff != DefaultScenarioBackoff ||
		e.Headers.Get("Authorization") != "Bearer x" || !cfg.Storage.Delete.Enabled || cfg.Storage.Filesystem.RootDirectory != "/data" {
		t.Errorf("Distribution keys not rendered: %+v\n%s", e, text)
	}

	_, cfg = parse(t, EndpointDef{Name: "sink", Delivery: DeliverySettings{DiskQueue: true, Concurrency: 8, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		MaxAttempts: 2, RetryBackoff: 10 * time.Millisecond, DeadLetter: true, On4xx: true}})
	e = cfg.Notifications.Endpoints[0]
	want := config.Endpoint{Queue: config.Queue{Kind: "disk", Path: "/data/queue-sink.db"}, Concurrency: 8,
		Signing:    config.Signing{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
		Retry:      config.Retry{MaxAttempts: 2, Backoff: 10 * time.Millisecond},
		DeadLetter: config.DeadLetter{Path: "/data/deadletter-sink.jsonl", On4xx: true}}
	got := config.Endpoint{Queue: e.Queue, Concurrency: e.Concurrency, Signing: e.Signing, Retry: e.Retry, DeadLetter: e.DeadLetter}
	got.Retry.MaxBackoff = 0 // a default the parser may fill in
	if !reflect.DeepEqual(got, want) {
		t.Errorf("delivery settings rendered as\n%+v\nwant\n%+v", got, want)
	}
}

func TestDeliverySettingsNeedOwnRegistry(t *testing.T) {
	sc := Scenario{Name: "x", Endpoints: []EndpointDef{{Name: "sink", Delivery: DeliverySettings{Concurrency: 2}}}}
	missing := sc.Missing(runtime.Registry{DebugURL: "http://d"})
	if len(missing) != 1 || missing[0] != NeedOwnRegistry {
		t.Errorf("missing %v, want [own-registry]", missing)
	}
	sc.Endpoints[0].Delivery = DeliverySettings{}
	if missing := sc.Missing(runtime.Registry{DebugURL: "http://d"}); len(missing) != 0 {
		t.Errorf("Distribution-compatible scenario needs %v", missing)
	}
}
