package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/notifications"
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

// TestSettingsHaveCounterparts: every config.Notifications field reaches
// notifications.Config with its value and every notifications.Config field
// is filled from config, so a delivery key declared on one side only
// fails here, naming the field.
func TestSettingsHaveCounterparts(t *testing.T) {
	var full config.Notifications
	fill(t, reflect.ValueOf(&full).Elem(), "")
	full.Endpoints[0].Disabled = false // a disabled endpoint is left out, tested below
	got, err := notifierSettings(full)
	if err != nil {
		t.Fatal(err)
	}
	if unset := unsetLeaves(reflect.ValueOf(got), "notifications.Config"); len(unset) > 0 {
		t.Errorf("not filled from config: %v", unset)
	}
	var back config.Notifications
	if err := copyByName(&back, got); err == nil {
		t.Error("copying back without Disabled should fail: config.Endpoint has it, notifications does not")
	}
	if err := copyByName(&back, got, "Endpoints.Disabled"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, full) {
		t.Errorf("values changed on the way:\n%+v\n%+v", back, full)
	}
}

// fill sets every leaf of v to a non-zero value (lists and maps get one
// element), named after its path so that a value moved to the wrong
// field shows.
func fill(t *testing.T, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0), path+"[0]")
	case reflect.Map:
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, path+"{key}")
		fill(t, e, path+"{value}")
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(k, e)
	case reflect.String:
		v.SetString(path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(len(path)))
	default:
		t.Fatalf("fill: %s is a %s: add a case for it", path, v.Kind())
	}
}

// unsetLeaves lists the zero leaves of v by Go field path.
func unsetLeaves(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Struct:
		var out []string
		for _, f := range reflect.VisibleFields(v.Type()) {
			if f.IsExported() && !f.Anonymous { // an embedded struct's fields are listed on their own
				out = append(out, unsetLeaves(v.FieldByIndex(f.Index), path+"."+f.Name)...)
			}
		}
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return []string{path}
		}
		return unsetLeaves(v.Elem(), path)
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			return []string{path}
		}
		if v.Kind() == reflect.Slice {
			return unsetLeaves(v.Index(0), path+"[0]")
		}
		return nil
	}
	if v.IsZero() {
		return []string{path}
	}
	return nil
}

func TestCopyByNameRefusesOneSidedFields(t *testing.T) {
	type inner struct{ A, B int }
	type src struct {
		Name  string
		Inner inner
		Extra bool
	}
	type dst struct {
		Name  string
		Inner struct{ A, B int64 }
	}
	var d dst
	err := copyByName(&d, src{Name: "n", Inner: inner{1, 2}, Extra: true})
	if err == nil || !strings.Contains(err.Error(), "Extra has no counterpart") {
		t.Errorf("err = %v, want Extra named", err)
	}
	if err := copyByName(&d, src{Name: "n", Inner: inner{1, 2}}, "Extra"); err != nil || d.Name != "n" || d.Inner.B != 2 {
		t.Errorf("copy = %+v, %v", d, err)
	}
	var back src
	if err := copyByName(&back, d); err == nil || !strings.Contains(err.Error(), "Extra has no counterpart") {
		t.Errorf("err = %v, want the missing counterpart of Extra named", err)
	}
	var wrong struct{ Name int }
	if err := copyByName(&wrong, struct{ Name string }{"x"}); err == nil || !strings.Contains(err.Error(), "Name: cannot copy string into int") {
		t.Errorf("err = %v, want a type mismatch named", err)
	}
}

func TestDisabledEndpointGetsNothing(t *testing.T) {
	on, off := newReceiver(t), newReceiver(t)
	a := startApp(t, fmt.Sprintf(`version: 0.1
log: {level: error}
storage: {inmemory: }
http: {addr: 127.0.0.1:0, debug: {addr: 127.0.0.1:0}}
notifications:
  endpoints:
    - {name: off, url: %s/, disabled: true, concurrency: 2}
    - {name: on, url: %s/}
`, off.srv.URL, on.srv.URL))
	push(t, "http://"+a.Addr(), "team/app")
	eventually(t, "2 events delivered to the enabled receiver", func() bool {
		m := a.Notifier().Metrics()
		return on.count() == 2 && m["on"].Successes == 2
	})
	if m := a.Notifier().Metrics(); len(m) != 1 {
		t.Errorf("metrics = %+v, want only endpoint on", m)
	}
	if n := off.count(); n != 0 {
		t.Errorf("disabled endpoint got %d events", n)
	}
}

// TestEndpointErrorsNameTheKey: what the notifier cannot build is reported
// under the config key, counting disabled endpoints as the file does.
func TestEndpointErrorsNameTheKey(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	off := config.Endpoint{Name: "off", URL: "http://h/", Disabled: true}
	for _, tc := range []struct {
		ep   config.Endpoint
		want string
	}{
		{config.Endpoint{Name: "q", URL: "http://h/", Queue: config.Queue{Kind: "disk", Path: filepath.Join(file, "q.db")}},
			"notifications.endpoints[1].queue.path: creating the folder of " + file},
		{config.Endpoint{Name: "s", URL: "http://h/", Signing: config.Signing{Secrets: []string{"whsec_a2V5", "whsec_!!"}}},
			"notifications.endpoints[1].signing.secrets[1]: not a whsec_ base64 secret"},
		{config.Endpoint{Name: "k", URL: "http://h/", Queue: config.Queue{Kind: "tape"}},
			`notifications.endpoints[1].queue.kind: unknown queue "tape"`},
	} {
		n, err := NewNotifier(config.Notifications{Endpoints: []config.Endpoint{off, tc.ep}}, notifications.WithLogger(slog.New(slog.DiscardHandler)))
		if err == nil {
			n.Shutdown(context.Background())
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("err = %v, want it to start %q", err, tc.want)
		}
	}
}
