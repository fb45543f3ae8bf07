package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"

	"github.com/hookbench/hookbench/harness/report"
)

func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	in := fs.String("in", "", "a report.json written by harness run")
	out := fs.String("out", "", "HTML file to write (default: report.html beside --in)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" && fs.NArg() > 0 {
		*in = fs.Arg(0)
	}
	if *in == "" {
		return errors.New("--in report.json is required")
	}
	r, err := report.ReadJSON(*in)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join(filepath.Dir(*in), "report.html")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := report.HTML(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
