package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hookbench/hookbench/harness/model"
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
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return model.Scenario{}, err
	}
	return model.DecodeFile(file, b)
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
		s, err := readScenario(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
			continue
		}
		fmt.Printf("%s: ok (scenario %s)\n", f, s.Name)
	}
	return code, nil
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
