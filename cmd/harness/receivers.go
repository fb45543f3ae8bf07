package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// receivers is the repeatable --receiver NAME=URL flag.
type receivers struct{ m map[string]string }

func (r *receivers) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.m)) {
		parts = append(parts, k+"="+r.m[k])
	}
	return strings.Join(parts, ",")
}

func (r *receivers) Set(v string) error {
	name, url, ok := strings.Cut(v, "=")
	if !ok || name == "" || url == "" {
		return fmt.Errorf("want NAME=URL (an endpoint of the scenario and your receiver's URL), got %q", v)
	}
	if r.m == nil {
		r.m = map[string]string{}
	}
	if _, dup := r.m[name]; dup {
		return fmt.Errorf("endpoint %s has a receiver already", name)
	}
	r.m[name] = url
	return nil
}
