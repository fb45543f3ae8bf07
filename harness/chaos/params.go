package chaos

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Params describes an action's parameters for reports, its target aside:
// "delay=200ms jitter=50ms", "profile={"status":500}". Durations read as
// durations and nested values (a fault profile) as compact JSON, so that
// a report says which profile or latency was set, not only that one was.
func Params(a Action) string {
	if a == nil {
		return ""
	}
	if p, ok := a.(interface{ Params() string }); ok {
		return p.Params() // an action whose zero values say something (replica 0)
	}
	v := reflect.ValueOf(a)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	var parts []string
	for i := 0; i < v.NumField(); i++ {
		f, fv := v.Type().Field(i), v.Field(i)
		// A zero struct says something (set-profile {}: healthy); a zero
		// number or duration says nothing was set.
		if !f.IsExported() || f.Name == "Endpoint" || (fv.IsZero() && fv.Kind() != reflect.Struct) {
			continue
		}
		name := strings.ToLower(f.Name[:1]) + f.Name[1:]
		var val string
		switch x := fv.Interface().(type) {
		case time.Duration:
			val = x.String()
		case string, bool, int, int64, float64:
			val = fmt.Sprint(x)
		default:
			b, err := json.Marshal(x)
			if err != nil {
				val = fmt.Sprintf("%+v", x)
			} else {
				val = string(b)
			}
		}
		parts = append(parts, name+"="+val)
	}
	return strings.Join(parts, " ")
}
