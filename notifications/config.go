package notifications

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/hookbench/hookbench/registry/config"
)

// validActions are the event actions ignore.actions can name.
var validActions = map[string]bool{ActionPush: true, ActionPull: true, ActionMount: true, ActionDelete: true}

// settle validates the notifications config and returns the enabled
// endpoints with Distribution's defaults in place of zero values. Every
// problem is reported, each naming its key.
func settle(cfg config.Notifications) ([]config.Endpoint, error) {
	var errs []error
	bad := func(i int, key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("notifications.endpoints[%d].%s: %s", i, key, fmt.Sprintf(format, args...)))
	}
	seen := map[string]int{}
	var enabled []config.Endpoint
	for i, ep := range cfg.Endpoints {
		switch j, dup := seen[ep.Name]; {
		case strings.TrimSpace(ep.Name) == "":
			bad(i, "name", "must not be empty")
		case dup:
			bad(i, "name", "%q is already the name of notifications.endpoints[%d]", ep.Name, j)
		default:
			seen[ep.Name] = i
		}
		if err := checkURL(ep.URL); err != nil {
			bad(i, "url", "%v", err)
		}
		if ep.Timeout < 0 {
			bad(i, "timeout", "must not be negative, got %v", ep.Timeout)
		}
		if ep.Threshold < 0 {
			bad(i, "threshold", "must not be negative, got %d", ep.Threshold)
		}
		if ep.Backoff < 0 {
			bad(i, "backoff", "must not be negative, got %v", ep.Backoff)
		}
		for k, vs := range ep.Headers {
			if k == "" || strings.ContainsAny(k, " \t\r\n:") {
				bad(i, "headers", "invalid header name %q", k)
			}
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n") {
					bad(i, "headers."+k, "value must not contain a line break")
				}
			}
		}
		for j, a := range ep.Ignore.Actions {
			if !validActions[a] {
				bad(i, fmt.Sprintf("ignore.actions[%d]", j), "unknown action %q (want push, pull, mount or delete)", a)
			}
		}
		if ep.Disabled {
			continue
		}
		if ep.Timeout == 0 {
			ep.Timeout = config.DefaultTimeout
		}
		if ep.Threshold == 0 {
			ep.Threshold = config.DefaultThreshold
		}
		if ep.Backoff == 0 {
			ep.Backoff = config.DefaultBackoff
		}
		enabled = append(enabled, ep)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return enabled, nil
}

func checkURL(raw string) error {
	if raw == "" {
		return errors.New("must not be empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q: no host", raw)
	}
	return nil
}
