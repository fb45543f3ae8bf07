package runtime

import (
	"context"
	"errors"
	"testing"

	"github.com/hookbench/hookbench/notifications"
)

type closer struct {
	Runtime
	closed bool
}

func (c *closer) Name() string                { return "inner" }
func (c *closer) Close(context.Context) error { c.closed = true; return nil }

func TestWithExternalStartsNothingAndRefusesHooks(t *testing.T) {
	inner := &closer{}
	rt := WithExternal(inner, ExternalRegistry{URL: "http://r", DebugURL: "http://d", MetricsPath: "/metrics"})
	reg, err := rt.StartRegistry(context.Background(), RegistrySpec{ConfigTemplate: "ignored"})
	if err != nil || reg.URL != "http://r" || reg.DebugURL != "http://d" || reg.OwnRegistry {
		t.Fatalf("registry %+v, %v", reg, err)
	}
	for name, spec := range map[string]RegistrySpec{
		"fault hooks": {Faults: notifications.Faults{DropOneIn: 2}},
		"binary":      {Binary: &BinaryRegistry{Path: "/bin/true"}},
		"image":       {Image: &RegistryImage{Image: "r:1"}},
	} {
		if _, err := rt.StartRegistry(context.Background(), spec); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s on an external registry: %v, want ErrUnsupported", name, err)
		}
	}
	if u, ok := rt.(Unwrapper); !ok || u.Unwrap() != Runtime(inner) {
		t.Error("the wrapper does not give back the runtime of its endpoints")
	}
	if err := rt.Close(context.Background()); err != nil || !inner.closed {
		t.Errorf("Close did not reach the inner runtime: %v", err)
	}
}
