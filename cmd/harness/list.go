package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hookbench/hookbench/scenarios"
)

func cmdList(args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "show runtimes, chaos actions, needs and descriptions")
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
			runtimes := "any runtime"
			if len(s.Runtimes) > 0 {
				runtimes = strings.Join(s.Runtimes, ",")
			}
			var actions []string
			for _, st := range s.Timeline() {
				if !slices.Contains(actions, st.Action.Name()) {
					actions = append(actions, st.Action.Name())
				}
			}
			fmt.Fprintf(tw, "%s\t%s\tchaos %v\tneeds %v\t%s\n", s.Name, runtimes, actions, s.Needs, s.Description)
		} else {
			fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Description)
		}
	}
	return tw.Flush()
}
