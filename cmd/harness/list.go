package main

import (
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/hookbench/hookbench/scenarios"
)

func cmdList(args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "show descriptions and needs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cat, err := scenarios.Catalog()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	for _, s := range cat.All() {
		if *verbose {
			fmt.Fprintf(tw, "%s\tneeds %v\t%s\n", s.Name, s.Needs, s.Description)
		} else {
			fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Description)
		}
	}
	return tw.Flush()
}
