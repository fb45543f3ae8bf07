package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hookbench/hookbench/harness/chaos"
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/harness/runtime"
	"github.com/hookbench/hookbench/harness/runtime/docker"
	"github.com/hookbench/hookbench/harness/runtime/inprocess"
	"github.com/hookbench/hookbench/harness/runtime/process"
	"github.com/hookbench/hookbench/scenarios"
)

// scenarioFor is the scenario `run` is asked for: a built-in one by name,
// or the one in file (- for stdin).
func scenarioFor(name, file string) (model.Scenario, error) {
	switch {
	case file != "" && name != "":
		return model.Scenario{}, fmt.Errorf("run %s or run -f %s, not both", name, file)
	case file != "":
		return readScenario(file)
	case name == "":
		return model.Scenario{}, errors.New("which scenario? (harness list, or run -f FILE)")
	}
	cat, err := scenarios.Catalog()
	if err != nil {
		return model.Scenario{}, err
	}
	sc, ok := cat.Get(name)
	if !ok {
		if ext := filepath.Ext(name); ext == ".yaml" || ext == ".yml" || ext == ".json" {
			return model.Scenario{}, fmt.Errorf("no built-in scenario %q: for a file, harness run -f %s", name, name)
		}
		return model.Scenario{}, fmt.Errorf("no scenario %q (harness list)", name)
	}
	return sc, nil
}

// readScenario decodes one scenario file; its errors name the line and key.
func readScenario(file string) (model.Scenario, error) {
	b, err := readFile(file)
	if err != nil {
		return model.Scenario{}, err
	}
	return model.DecodeFile(file, b)
}

func readFile(file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(file)
}

// cmdValidate checks scenario files: 0 when every one is valid, 1 when
// one is not (each problem on its own line, file:line: key: message).
func cmdValidate(args []string) (int, error) {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(os.Stderr, "usage: harness validate FILE...") }
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() == 0 {
		return 2, errors.New("which files? (harness validate FILE...)")
	}
	code := 0
	for _, f := range fs.Args() {
		b, err := readFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
			continue
		}
		s, err := model.DecodeFile(f, b)
		if err == nil {
			err = runtimesFit(f, b, s)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
			continue
		}
		fmt.Printf("%s: ok (scenario %s)\n", f, s.Name)
	}
	return code, nil
}

// runtimesFit: each runtime the scenario names can perform its chaos, or
// running it there would only be refused.
func runtimesFit(file string, data []byte, s model.Scenario) error {
	kinds := map[string]runtime.Runtime{
		"inprocess": (*inprocess.Runtime)(nil), "process": (*process.Runtime)(nil), "docker": (*docker.Runtime)(nil),
		"docker-cluster": (*docker.Cluster)(nil),
	}
	fe := &model.FileError{File: file}
	for i, r := range s.Runtimes {
		rt, ok := kinds[r]
		if !ok {
			continue // DecodeFile refuses unknown names
		}
		for _, tl := range []struct {
			key   string
			steps []chaos.Step
		}{{"chaos", s.Chaos}, {"afterLoad", s.AfterLoad}} {
			for j, st := range tl.steps {
				if err := st.Action.Check(rt); err != nil {
					path := fmt.Sprintf("%s[%d].action", tl.key, j)
					fe.Problems = append(fe.Problems, model.Problem{Line: model.FileLine(data, path), Path: path,
						Msg: fmt.Sprintf("%v (runtimes[%d] names %s)", err, i, r)})
				}
			}
		}
	}
	if len(fe.Problems) > 0 {
		return fe
	}
	return nil
}

// cmdShow prints a built-in scenario as a file, comments included: the
// start of a scenario of one's own.
func cmdShow(args []string) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(os.Stderr, "usage: harness show NAME > NAME.yaml") }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("which scenario? (harness list)")
	}
	name := fs.Arg(0)
	files, err := scenarios.Files()
	if err != nil {
		return err
	}
	if b, ok := files[name+".yaml"]; ok {
		_, err := os.Stdout.Write(b)
		return err
	}
	cat, err := scenarios.Catalog()
	if err != nil {
		return err
	}
	sc, ok := cat.Get(name)
	if !ok {
		return fmt.Errorf("no scenario %q (harness list)", name)
	}
	b, err := model.EncodeFile(sc)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(b)
	return err
}

// cmdSchema prints the scenario files' JSON Schema, for editors.
func cmdSchema(args []string) error {
	fs := flag.NewFlagSet("schema", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(os.Stderr, "usage: harness schema > scenario.schema.json") }
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := model.Schema()
	if err != nil {
		return err
	}
	_, err = fmt.Printf("%s\n", b)
	return err
}
