package app

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The opt-in delivery keys in config.yml reach the notifier: POSTs are
// signed and the disk queue file exists.
func TestDeliveryKeysFromConfig(t *testing.T) {
	var mu sync.Mutex
	signed, events := 0, 0
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Webhook-Signature") != "" && r.Header.Get("Webhook-Id") != "" {
			signed++
		}
		events++
	}))
	defer rcv.Close()
	dir := t.TempDir()
	queue := filepath.Join(dir, "queue.db")
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a test key"))
	a := startApp(t, fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  inmemory:
http:
  addr: 127.0.0.1:0
  debug:
    addr: 127.0.0.1:0
notifications:
  endpoints:
    - name: signed
      url: %s/
      signing:
        secrets: [%s]
      retry:
        maxattempts: 5
      queue:
        kind: disk
        path: %s
`, rcv.URL, secret, queue))
	push(t, "http://"+a.Addr(), "signed/repo")
	eventually(t, "2 signed POSTs", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return signed == 2 && events == 2
	})
	if _, err := os.Stat(queue); err != nil {
		t.Errorf("disk queue: %v", err)
	}
	eventually(t, "counters", func() bool {
		m := vars(t, a.DebugAddr())
		return len(m) == 1 && m[0] == metrics{Events: 2, Successes: 2}
	})
}

func TestDeliveryOptionsOnlyWhenSet(t *testing.T) {
	cfg := []struct {
		name string
		yml  string
		want int
	}{
		{"none", "    - {name: a, url: 'http://h/'}\n", 0},
		{"memory queue is the default", "    - {name: a, url: 'http://h/', queue: {kind: memory}}\n", 0},
		{"disabled endpoint", "    - {name: a, url: 'http://h/', disabled: true, concurrency: 2}\n", 0},
		{"two set", "    - {name: a, url: 'http://h/', concurrency: 2}\n    - {name: b, url: 'http://h/', batch: {maxevents: 3}}\n", 2},
	}
	for _, tc := range cfg {
		t.Run(tc.name, func(t *testing.T) {
			c := parse(t, "version: 0.1\nstorage:\n  inmemory:\nnotifications:\n  endpoints:\n"+tc.yml)
			if got := len(deliveryOptions(c.Notifications)); got != tc.want {
				t.Errorf("options = %d, want %d", got, tc.want)
			}
		})
	}
}
