package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func natsEndpoint(fields string) string {
	return minimal + "notifications:\n  endpoints:\n    - name: a\n      url: http://h/\n" + fields
}

func TestNATSQueueValues(t *testing.T) {
	cfg, _, err := Parse([]byte(natsEndpoint(`      queue:
        kind: nats
        nats:
          urls: [nats://n1:4222, nats://n2:4222]
          stream: HOOKS
          subjectprefix: hooks.a
          replicas: 1
          ackwait: 5s
          username: reg
          password: s3cret
`)), []string{"REGISTRY_NOTIFICATIONS_ENDPOINTS_0_QUEUE_NATS_STREAM=FROMENV"})
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Notifications.Endpoints[0].Queue
	want := Queue{Kind: "nats", NATS: &NATSQueue{URLs: []string{"nats://n1:4222", "nats://n2:4222"}, Stream: "FROMENV",
		SubjectPrefix: "hooks.a", Replicas: 1, AckWait: 5 * time.Second, Username: "reg", Password: "s3cret"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v %+v\nwant %+v %+v", got, got.NATS, want, want.NATS)
	}
}

func TestNATSQueueErrors(t *testing.T) {
	k := "notifications.endpoints[0].queue."
	cases := []struct{ name, fields, want string }{
		{"no urls", "      queue: {kind: nats}\n", k + "nats.urls: required for queue.kind nats"},
		{"bad scheme", "      queue: {kind: nats, nats: {urls: ['http://n1:4222']}}\n", k + `nats.urls[0]: "http://n1:4222": scheme must be nats`},
		{"no host", "      queue: {kind: nats, nats: {urls: ['nats://']}}\n", k + "nats.urls[0]:"},
		{"bad stream", "      queue: {kind: nats, nats: {urls: ['nats://n'], stream: a.b}}\n", k + `nats.stream: "a.b"`},
		{"bad prefix", "      queue: {kind: nats, nats: {urls: ['nats://n'], subjectprefix: 'a..b'}}\n", k + "nats.subjectprefix:"},
		{"wildcard prefix", "      queue: {kind: nats, nats: {urls: ['nats://n'], subjectprefix: 'a.*'}}\n", k + "nats.subjectprefix:"},
		{"too many replicas", "      queue: {kind: nats, nats: {urls: ['nats://n'], replicas: 7}}\n", k + "nats.replicas: must be between 1 and 5"},
		{"negative replicas", "      queue: {kind: nats, nats: {urls: ['nats://n'], replicas: -1}}\n", k + "nats.replicas:"},
		{"short ackwait", "      queue: {kind: nats, nats: {urls: ['nats://n'], ackwait: 10ms}}\n", k + "nats.ackwait: must be at least 1s"},
		{"password alone", "      queue: {kind: nats, nats: {urls: ['nats://n'], password: pw}}\n", k + "nats.password: set without queue.nats.username"},
		{"user and token", "      queue: {kind: nats, nats: {urls: ['nats://n'], username: u, token: tk}}\n", k + "nats.token: set together"},
		{"creds and token", "      queue: {kind: nats, nats: {urls: ['nats://n'], credentialsfile: /c, token: tk}}\n", k + "nats.credentialsfile:"},
		{"nats on a disk queue", "      queue: {kind: disk, path: /q, nats: {urls: ['nats://n']}}\n", k + "nats: only for queue.kind nats"},
		{"nats with a path", "      queue: {kind: nats, path: /q, nats: {urls: ['nats://n']}}\n", k + "path: only for queue.kind disk"},
		{"unknown nats key", "      queue: {kind: nats, nats: {urls: ['nats://n'], cluster: x}}\n", k + "nats.cluster: unknown key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse([]byte(natsEndpoint(tc.fields)), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// Credentials never appear in an error, wherever they are given.
func TestNATSQueueSecretsNotShown(t *testing.T) {
	for _, fields := range []string{
		"      queue: {kind: nats, nats: {urls: ['http://reg:hunter2@n1:4222'], replicas: 9}}\n",
		"      queue: {kind: nats, nats: {urls: ['nats://n'], password: hunter2}}\n",
		"      queue: {kind: nats, nats: {urls: ['nats://n'], username: u, token: hunter2}}\n",
		"      queue: {kind: memory, nats: {password: hunter2}}\n",
	} {
		_, _, err := Parse([]byte(natsEndpoint(fields)), nil)
		if err == nil {
			t.Fatalf("%s: no error", fields)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error shows a credential: %v", err)
		}
	}
}
