package app

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
)

// copyByName copies src into *dst field by field, matching Go field names
// (fields promoted from an embedded struct count as the struct's own),
// through nested structs, lists and maps. Every field on either side must
// have a counterpart on the other, except the fields named in skip (Go
// field paths without list indexes, e.g. "Endpoints.Disabled"), which are
// left alone: a setting declared on one side only is an error, never
// dropped in silence.
func copyByName(dst, src any, skip ...string) error {
	d, s := reflect.ValueOf(dst), reflect.ValueOf(src)
	if d.Kind() != reflect.Pointer || d.IsNil() {
		return fmt.Errorf("copyByName: dst must be a non-nil pointer, got %T", dst)
	}
	c := copier{skip: map[string]bool{}, dstName: d.Elem().Type().String(), srcName: s.Type().String()}
	for _, p := range skip {
		c.skip[p] = true
	}
	return c.copy(d.Elem(), s, "")
}

type copier struct {
	skip             map[string]bool
	dstName, srcName string // the top types, to name a field in errors
}

// scalarClass groups the kinds one converts into another without loss of
// meaning (an int into an int64, not an int into a string); 0 is none.
func scalarClass(k reflect.Kind) int {
	switch {
	case k == reflect.Bool:
		return 1
	case k >= reflect.Int && k <= reflect.Int64:
		return 2
	case k >= reflect.Uint && k <= reflect.Uintptr:
		return 3
	case k == reflect.Float32 || k == reflect.Float64:
		return 4
	case k == reflect.String:
		return 5
	}
	return 0
}

func (c copier) copy(dst, src reflect.Value, path string) error {
	switch sk, dk := src.Kind(), dst.Kind(); {
	case sk == reflect.Struct && dk == reflect.Struct:
		return c.structs(dst, src, path)
	case sk == reflect.Pointer && dk == reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return nil
		}
		out := reflect.New(dst.Type().Elem())
		if err := c.copy(out.Elem(), src.Elem(), path); err != nil {
			return err
		}
		dst.Set(out)
	case sk == reflect.Slice && dk == reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return nil
		}
		out := reflect.MakeSlice(dst.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			if err := c.copy(out.Index(i), src.Index(i), path); err != nil {
				return err
			}
		}
		dst.Set(out)
	case sk == reflect.Map && dk == reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return nil
		}
		out := reflect.MakeMapWithSize(dst.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			k, v := reflect.New(dst.Type().Key()).Elem(), reflect.New(dst.Type().Elem()).Elem()
			if err := c.copy(k, it.Key(), path); err != nil {
				return err
			}
			if err := c.copy(v, it.Value(), path); err != nil {
				return err
			}
			out.SetMapIndex(k, v)
		}
		dst.Set(out)
	case scalarClass(sk) != 0 && scalarClass(sk) == scalarClass(dk):
		dst.Set(src.Convert(dst.Type()))
	default:
		return fmt.Errorf("%s: cannot copy %s into %s", path, src.Type(), dst.Type())
	}
	return nil
}

func (c copier) structs(dst, src reflect.Value, path string) error {
	dfs, sfs := fieldsByName(dst.Type()), fieldsByName(src.Type())
	for _, name := range slices.Sorted(maps.Keys(sfs)) {
		p := join(path, name)
		if c.skip[p] {
			continue
		}
		di, ok := dfs[name]
		if !ok {
			return fmt.Errorf("%s.%s has no counterpart in %s", c.srcName, p, c.dstName)
		}
		if err := c.copy(dst.FieldByIndex(di), src.FieldByIndex(sfs[name]), p); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(dfs)) {
		if _, ok := sfs[name]; !ok && !c.skip[join(path, name)] {
			return fmt.Errorf("%s.%s has no counterpart in %s", c.dstName, join(path, name), c.srcName)
		}
	}
	return nil
}

// fieldsByName maps each exported field of t, promoted ones included, to
// its index path; an embedded struct stands for its fields, not itself.
func fieldsByName(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct {
			continue
		}
		out[f.Name] = f.Index
	}
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
