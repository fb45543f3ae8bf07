// Command mutation is the seeded-bug check: it applies each mutant of a list
// (a realistic pipeline bug, one at a time) and runs a test command against
// it. A mutant the command does not fail on "survived": the suite has a
// missing check.
//
// Mutants never touch the work tree: each is a build overlay
// (go build -overlay, passed through GOFLAGS), so an interrupted run leaves
// nothing to restore and the tree can be used meanwhile.
//
//	go run ./tools/mutation -list tools/mutation/mutants.yaml -out out/mutation \
//	    -suite scenarios='go test -count=1 ./tests/fast' -suite all='make test'
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Mutant is one seeded bug: replace the only occurrence of Find in File.
type Mutant struct {
	ID      string `yaml:"id" json:"id"`
	Class   string `yaml:"class" json:"class"` // missing-event, wrong-field, miscount, secret, ...
	File    string `yaml:"file" json:"file"`
	Find    string `yaml:"find" json:"-"`
	Replace string `yaml:"replace" json:"-"`
	Note    string `yaml:"note" json:"note"`
}

// Outcome is what one suite made of one mutant.
type Outcome struct {
	Suite    string        `json:"suite"`
	Killed   bool          `json:"killed"`
	Duration time.Duration `json:"-"`
	Took     string        `json:"took"`
	Tail     string        `json:"tail,omitempty"` // last lines of output, for a killed mutant
}

// Result is one mutant's line in the report.
type Result struct {
	Mutant
	Invalid  string    `json:"invalid,omitempty"` // why it could not be applied or built
	Outcomes []Outcome `json:"outcomes"`
}

type suite struct{ name, cmd string }

type suites []suite

func (s *suites) String() string { return fmt.Sprint(*s) }
func (s *suites) Set(v string) error {
	name, cmd, ok := strings.Cut(v, "=")
	if !ok || name == "" || cmd == "" {
		return fmt.Errorf("-suite wants name=command, got %q", v)
	}
	*s = append(*s, suite{name, cmd})
	return nil
}

func main() {
	list := flag.String("list", "tools/mutation/mutants.yaml", "mutant list (YAML)")
	out := flag.String("out", "out/mutation", "report folder")
	only := flag.String("only", "", "comma-separated mutant ids to run (default all)")
	timeout := flag.Duration("timeout", 10*time.Minute, "bound per mutant and suite")
	cumulative := flag.Bool("cumulative", false, "run each later suite only on the mutants every earlier suite missed, and report kill rates cumulatively (suite 2 = suites 1 and 2 together)")
	var ss suites
	flag.Var(&ss, "suite", "name=shell command; the first that fails kills the mutant for that suite (repeatable)")
	flag.Parse()
	if len(ss) == 0 {
		fmt.Fprintln(os.Stderr, "mutation: at least one -suite name=command")
		os.Exit(2)
	}
	if err := run(*list, *out, *only, *timeout, *cumulative, ss); err != nil {
		fmt.Fprintln(os.Stderr, "mutation:", err)
		os.Exit(1)
	}
}

func run(list, out, only string, timeout time.Duration, cumulative bool, ss suites) error {
	raw, err := os.ReadFile(list)
	if err != nil {
		return err
	}
	var ms []Mutant
	if err := yaml.Unmarshal(raw, &ms); err != nil {
		return fmt.Errorf("%s: %w", list, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, id := range strings.Split(only, ",") {
		if id != "" {
			want[id] = true
		}
	}
	var results []Result
	for _, m := range ms {
		if len(want) > 0 && !want[m.ID] {
			continue
		}
		r := Result{Mutant: m}
		overlay, err := prepare(m, out)
		if err == nil {
			err = sh(context.Background(), "go build ./... && go vet ./...", overlay, timeout, nil)
			if err != nil {
				err = fmt.Errorf("does not build: %w", err)
			}
		}
		if err != nil {
			r.Invalid = err.Error()
			fmt.Printf("%-28s INVALID  %v\n", m.ID, err)
			results = append(results, r)
			continue
		}
		killed := false
		for _, s := range ss {
			if cumulative && killed {
				r.Outcomes = append(r.Outcomes, Outcome{Suite: s.name, Killed: true, Took: "-", Tail: "killed by an earlier suite"})
				continue
			}
			var buf bytes.Buffer
			start := time.Now()
			err := sh(context.Background(), s.cmd, overlay, timeout, &buf)
			o := Outcome{Suite: s.name, Killed: err != nil, Duration: time.Since(start)}
			killed = killed || o.Killed
			o.Took = o.Duration.Round(time.Second).String()
			if o.Killed {
				o.Tail = tail(buf.String(), 12)
			}
			r.Outcomes = append(r.Outcomes, o)
			verdict := "survived"
			if o.Killed {
				verdict = "killed"
			}
			fmt.Printf("%-28s %-10s %-9s %s\n", m.ID, s.name, verdict, o.Took)
		}
		results = append(results, r)
		_ = report(out, results, ss, cumulative) // so far: a long run can be read while it goes on
	}
	return report(out, results, ss, cumulative)
}

// prepare writes the mutated file and the overlay that swaps it in.
func prepare(m Mutant, out string) (string, error) {
	src, err := os.ReadFile(m.File)
	if err != nil {
		return "", err
	}
	if n := bytes.Count(src, []byte(m.Find)); n != 1 {
		return "", fmt.Errorf("%s: find text occurs %d times, want once", m.File, n)
	}
	mutated := bytes.Replace(src, []byte(m.Find), []byte(m.Replace), 1)
	// "_mutants": the go command skips folders starting with "_", so a
	// report folder inside the module (out/mutation) adds no package that
	// `go build ./...` would try to build on its own.
	dir, err := filepath.Abs(filepath.Join(out, "_mutants", m.ID))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(dir, filepath.Base(m.File))
	if err := os.WriteFile(file, mutated, 0o644); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(m.File)
	if err != nil {
		return "", err
	}
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": {abs: file}})
	overlay := filepath.Join(dir, "overlay.json")
	return overlay, os.WriteFile(overlay, ov, 0o644)
}

// sh runs cmd with the overlay in GOFLAGS, so every go command it starts
// (make targets included) builds the mutant.
func sh(ctx context.Context, cmd, overlay string, timeout time.Duration, w *bytes.Buffer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-c", cmd)
	c.Env = append(os.Environ(), "GOFLAGS=-overlay="+overlay)
	var buf bytes.Buffer
	if w == nil {
		w = &buf
	}
	c.Stdout, c.Stderr = w, w
	err := c.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("timed out after %s: %w", timeout, ctx.Err())
	}
	if err != nil && w == &buf {
		return fmt.Errorf("%w: %s", err, tail(buf.String(), 5))
	}
	return err
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func report(out string, results []Result, ss suites, cumulative bool) error {
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "report.json"), b, 0o644); err != nil {
		return err
	}
	var md strings.Builder
	md.WriteString("| mutant | class | note |")
	for _, s := range ss {
		md.WriteString(" " + s.name + " |")
	}
	md.WriteString("\n|---|---|---|" + strings.Repeat("---|", len(ss)) + "\n")
	killed := make([]int, len(ss))
	valid := 0
	for _, r := range results {
		fmt.Fprintf(&md, "| %s | %s | %s |", r.ID, r.Class, r.Note)
		if r.Invalid != "" {
			md.WriteString(strings.Repeat(" invalid |", len(ss)) + "\n")
			continue
		}
		valid++
		for i, o := range r.Outcomes {
			v := "**survived**"
			if o.Killed {
				v, killed[i] = "killed", killed[i]+1
			}
			fmt.Fprintf(&md, " %s (%s) |", v, o.Took)
		}
		md.WriteString("\n")
	}
	md.WriteString("\n")
	var errs []error
	for i, s := range ss {
		line := fmt.Sprintf("%s: %d of %d valid mutants killed", s.name, killed[i], valid)
		if cumulative && i > 0 {
			line = fmt.Sprintf("%s (with the suites before it): %d of %d valid mutants killed", s.name, killed[i], valid)
		}
		if valid > 0 {
			line += fmt.Sprintf(" (%.0f%%)", 100*float64(killed[i])/float64(valid))
		}
		md.WriteString("- " + line + "\n")
		fmt.Println(line)
	}
	for _, r := range results {
		if r.Invalid != "" {
			errs = append(errs, fmt.Errorf("mutant %s invalid: %s", r.ID, r.Invalid))
		}
	}
	if err := os.WriteFile(filepath.Join(out, "report.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	return errors.Join(errs...)
}
