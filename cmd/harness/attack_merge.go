package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hookbench/hookbench/load"
)

// Files an attack writes into --out, and merges from several.
const (
	attackFile = "attack.json" // load.Result: the profile, vegeta metrics, every hit
	ledgerFile = "ledger.json" // []load.Entry: what the accepted operations owe
)

// attackProcs is `harness attack --procs N`: N attacker processes (this
// program again), each with 1/N of the rate and count and its own --out
// folder, then their ledgers and results merged into out. A load test grows
// past one process this way, and past one machine with --merge.
func attackProcs(ctx context.Context, args []string, n int, out string, p load.Profile) (int, error) {
	if out == "" {
		return exitUsage, errors.New("--procs needs --out (each attacker writes its results there)")
	}
	self, err := os.Executable()
	if err != nil {
		return exitUsage, err
	}
	base := stripFlags(args, "procs", "out", "rate", "count", "merge")
	dirs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		dirs[i] = filepath.Join(out, fmt.Sprintf("attacker-%d", i))
		child := append(slices.Clone(base), "--out", dirs[i], "--rate", strconv.FormatFloat(p.Pacing.Rate/float64(n), 'f', -1, 64))
		if p.Count > 0 {
			c := p.Count / n
			if i < p.Count%n {
				c++
			}
			child = append(child, "--count", strconv.Itoa(c))
		}
		if err := os.MkdirAll(dirs[i], 0o755); err != nil {
			return exitUsage, err
		}
		wg.Go(func() {
			cmd := exec.CommandContext(ctx, self, append([]string{"attack"}, child...)...)
			b, err := cmd.CombinedOutput()
			_ = os.WriteFile(filepath.Join(dirs[i], "output.txt"), b, 0o644)
			if err != nil {
				errs[i] = fmt.Errorf("attacker %d: %w\n%s", i, err, b)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return exitUsage, err
	}
	return attackMerge(dirs, out)
}

// stripFlags removes the named flags (and their values) from args.
func stripFlags(args []string, names ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && slices.Contains(names, name) {
			if !hasValue && i+1 < len(args) {
				i++ // the value is the next argument
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

// attackMerge is `harness attack --merge DIR,DIR... --out OUT`: the
// attackers' ledgers concatenated and their hits merged into one set of
// vegeta metrics, written to out and reported.
func attackMerge(dirs []string, out string) (int, error) {
	var results []*load.Result
	var ledger []load.Entry
	for _, d := range dirs {
		var r load.Result
		if err := readJSON(filepath.Join(d, attackFile), &r); err != nil {
			return exitUsage, err
		}
		var es []load.Entry
		if err := readJSON(filepath.Join(d, ledgerFile), &es); err != nil {
			return exitUsage, err
		}
		results, ledger = append(results, &r), append(ledger, es...)
	}
	merged := mergeResults(results)
	if err := vegeta.NewTextReporter(&merged.Metrics).Report(os.Stdout); err != nil {
		return exitUsage, err
	}
	fmt.Printf("accepted operations: %d from %d attackers (seeded %d)\n", len(ledger), len(dirs), merged.Seeded)
	if out != "" {
		if err := writeAttack(out, merged, ledger); err != nil {
			return exitUsage, err
		}
	}
	return exitPass, nil
}

// mergeResults merges several attackers' results of one profile: hits in
// time order, vegeta metrics computed again from every hit (latency
// quantiles do not add up), rates and counts summed.
func mergeResults(rs []*load.Result) *load.Result {
	m := &load.Result{}
	if len(rs) == 0 {
		return m
	}
	m.Profile = rs[0].Profile
	m.Profile.Count, m.Profile.Pacing.Rate = 0, 0
	for _, r := range rs {
		m.Profile.Count += r.Profile.Count
		m.Profile.Pacing.Rate += r.Profile.Pacing.Rate
		m.Seeded += r.Seeded
		m.Hits = append(m.Hits, r.Hits...)
		for _, d := range r.Declared {
			if !slices.Contains(m.Declared, d) {
				m.Declared = append(m.Declared, d)
			}
		}
	}
	slices.SortStableFunc(m.Hits, func(a, b load.Hit) int { return a.At.Compare(b.At) })
	for _, h := range m.Hits {
		m.Metrics.Add(&vegeta.Result{Attack: h.Op, Code: uint16(h.Code), Timestamp: h.At, Latency: h.Latency, Error: h.Error})
	}
	m.Metrics.Close()
	return m
}

func writeAttack(dir string, res *load.Result, ledger []load.Entry) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, v := range map[string]any{attackFile: res, ledgerFile: ledger} {
		b, err := json.MarshalIndent(v, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
