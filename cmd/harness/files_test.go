package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// capture runs the harness with stdout and stderr sent to a file and
// returns the exit status and what it wrote.
func capture(t *testing.T, args ...string) (int, string) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = out, out
	code := run(context.Background(), args)
	os.Stdout, os.Stderr = stdout, stderr
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return code, string(b)
}

// The "done when": show a built-in scenario, run the file; then
// the same file with one expectation changed fails, naming the counter.
func TestShowThenRunFile(t *testing.T) {
	dir := t.TempDir()
	code, shown := capture(t, "show", "flaky-5xx")
	if code != 0 || !strings.Contains(shown, "name: flaky-5xx") {
		t.Fatalf("show flaky-5xx: exit %d\n%s", code, shown)
	}
	f := filepath.Join(dir, "f.yaml")
	if err := os.WriteFile(f, []byte(shown), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := capture(t, "validate", f); code != 0 {
		t.Fatalf("validate: exit %d\n%s", code, out)
	}
	if code, out := capture(t, "run", "-f", f); code != 0 {
		t.Fatalf("run -f f.yaml: exit %d\n%s", code, out)
	}

	const want = "Successes: 42"
	if !strings.Contains(shown, want) {
		t.Fatalf("flaky-5xx no longer expects %q:\n%s", want, shown)
	}
	g := filepath.Join(dir, "g.yaml")
	if err := os.WriteFile(g, []byte(strings.Replace(shown, want, "Successes: 41", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := capture(t, "run", "-f", g)
	if code != 1 {
		t.Fatalf("run -f with Successes off by one: exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "Successes") || !strings.Contains(out, "41") {
		t.Errorf("the failure does not name the counter and the expected value:\n%s", out)
	}
}

func TestValidateAndSchema(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	file := "name: bad\nendpoints:\n  - name: sink\nload:\n  - {op: manifest-push, count: 3}\n" +
		"chaos:\n  - {at: 1s, action: stop-endpoint, endpoint: sinc}\n"
	if err := os.WriteFile(bad, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := capture(t, "validate", bad)
	if code != 1 || !strings.Contains(out, "bad.yaml:7: chaos[0].endpoint: unknown endpoint \"sinc\"") {
		t.Errorf("validate bad.yaml: exit %d\n%s", code, out)
	}
	misfit := filepath.Join(dir, "misfit.yaml")
	file = strings.Replace(file, "stop-endpoint, endpoint: sinc", "partition, endpoint: sink", 1) + "runtimes: [docker, inprocess]\n"
	if err := os.WriteFile(misfit, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = capture(t, "validate", misfit)
	if code != 1 || !strings.Contains(out, "misfit.yaml:7: chaos[0].action: chaos action partition on sink: runtime inprocess cannot do it") {
		t.Errorf("validate of a scenario whose chaos a runtime it names cannot perform: exit %d\n%s", code, out)
	}
	if code, _ := capture(t, "validate", filepath.Join(dir, "missing.yaml")); code != 1 {
		t.Errorf("validate of a missing file: exit %d, want 1", code)
	}
	if code, _ := capture(t, "validate"); code != 2 {
		t.Errorf("validate without files: exit %d, want 2", code)
	}
	if code, _ := capture(t, "run", "smoke", "-f", bad); code != 2 {
		t.Errorf("run NAME -f FILE: exit %d, want 2", code)
	}
	if code, _ := capture(t, "run", "-f", bad); code != 2 {
		t.Errorf("run -f of an invalid file: exit %d, want 2", code)
	}
	if code, _ := capture(t, "show", "no-such-scenario"); code != 2 {
		t.Errorf("show of an unknown scenario: exit %d, want 2", code)
	}
	code, out = capture(t, "schema")
	if code != 0 || !strings.Contains(out, `"$schema": "https://json-schema.org/draft/2020-12/schema"`) {
		t.Errorf("schema: exit %d\n%.300s", code, out)
	}
}
