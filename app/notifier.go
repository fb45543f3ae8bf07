package app

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/notifications"
)

// NewNotifier builds the notification pipeline of the enabled endpoints
// in n. The App uses it, and so does `registry notifications replay`, so
// both deliver with the same settings. An endpoint that cannot be started
// (its disk queue file cannot be opened, say) is an error naming its
// config key.
func NewNotifier(n config.Notifications, opts ...notifications.Option) (*notifications.Notifier, error) {
	settings, err := notifierSettings(n)
	if err != nil {
		return nil, err
	}
	nt, err := notifications.New(settings, opts...)
	if epErr, ok := errors.AsType[*notifications.EndpointError](err); ok {
		return nil, fmt.Errorf("%s: %w", endpointKey(n, epErr), epErr.Err)
	}
	return nt, err
}

// notifierSettings is n as the notifications package takes it: every
// field copied by name, disabled endpoints left out. A delivery key
// therefore needs no code here, and a field declared on one side only
// fails (TestSettingsHaveCounterparts catches it before a release does).
func notifierSettings(n config.Notifications) (notifications.Config, error) {
	n.Endpoints = slices.DeleteFunc(slices.Clone(n.Endpoints), func(ep config.Endpoint) bool { return ep.Disabled })
	var out notifications.Config
	if err := copyByName(&out, n, "Endpoints.Disabled"); err != nil {
		return notifications.Config{}, fmt.Errorf("app: notification settings: %w", err)
	}
	return out, nil
}

// endpointKey names the config key of e's setting, e.g.
// notifications.endpoints[1].queue.path for Setting "Queue.Path": the
// settings' Go names are config.Endpoint's, whose yaml tags are the keys.
func endpointKey(n config.Notifications, e *notifications.EndpointError) string {
	i := slices.IndexFunc(n.Endpoints, func(ep config.Endpoint) bool { return ep.Name == e.Endpoint && !ep.Disabled })
	key := fmt.Sprintf("notifications.endpoints[%d]", i)
	t := reflect.TypeFor[config.Endpoint]()
	for seg := range strings.SplitSeq(e.Setting, ".") {
		name, index, _ := strings.Cut(seg, "[")
		if t.Kind() != reflect.Struct {
			return fmt.Sprintf("%s (%s)", key, e.Setting)
		}
		f, ok := t.FieldByName(name)
		if !ok {
			return fmt.Sprintf("%s (%s)", key, e.Setting) // not a config field: say it as notifications does
		}
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		key += "." + tag
		t = f.Type
		if index != "" {
			key += "[" + index
			t = t.Elem()
		}
	}
	return key
}
