package main

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestReceiverFlag(t *testing.T) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var tf targetFlags
	tf.register(fs)
	if err := fs.Parse([]string{"--receiver", "sink=http://127.0.0.1:9000/hook", "--receiver", "b=https://x/y"}); err != nil {
		t.Fatal(err)
	}
	if got := tf.receivers.String(); got != "b=https://x/y,sink=http://127.0.0.1:9000/hook" {
		t.Fatalf("receivers %q", got)
	}
	for _, bad := range []string{"sink", "=http://x", "sink="} {
		err := fs.Parse([]string{"--receiver", bad})
		if err == nil || !strings.Contains(err.Error(), "NAME=URL") {
			t.Errorf("%q: want an error asking for NAME=URL, got %v", bad, err)
		}
	}
	if err := fs.Parse([]string{"--receiver", "sink=http://other"}); err == nil || !strings.Contains(err.Error(), "sink") {
		t.Errorf("a second receiver for sink: want an error naming it, got %v", err)
	}
}

func TestRegistryImageExcludesOtherTargets(t *testing.T) {
	tf := targetFlags{runtime: "inprocess", image: "x/y:1", binary: "/bin/true"}
	if _, _, _, err := tf.buildRuntime(t.Context()); err == nil || !strings.Contains(err.Error(), "--registry-image") {
		t.Fatalf("want --registry-image to exclude --registry-binary, got %v", err)
	}
}
