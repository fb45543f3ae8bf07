// Command harness runs the scenario catalog against a registry, drives
// load, and renders reports.
//
//	harness list
//	harness run SCENARIO [--runtime inprocess|process|docker] [--registry-url U --debug-url D | --registry-binary B [--config-template F]]
//	                     [--registry-image IMG] [--receiver NAME=URL] [--rate R --duration D --count N] [--out DIR] [--json] [--detail] [-v]
//	harness run -f FILE [same flags]
//	harness validate FILE...
//	harness show NAME
//	harness schema
//	harness attack (--registry-url U | --inprocess) [--op manifest-push] [--rate R] [--duration D | --count N] [--out DIR] [--procs N] [-v]
//	harness attack --merge DIR,DIR... --out DIR
//	harness report --in DIR/report.json [--out report.html]
//	harness images [--distribution]
//
// Progress goes to stderr; stdout has the table, or with --json only the
// summary (report.json without its per-event detail).
//
// Exit status: 0 when every check held, 1 when one failed, 2 when the run
// could not happen (bad flags, a scenario the runtime refuses, a start
// failure), 130 when interrupted (Ctrl-C: partial reports are written,
// marked interrupted).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	exitPass        = 0
	exitFail        = 1
	exitUsage       = 2 // bad usage, a refused scenario, a run that could not start
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first Ctrl-C (a bounded drain and the partial reports),
	// a second one kills at once.
	context.AfterFunc(ctx, func() {
		stop()
		fmt.Fprintln(os.Stderr, "interrupted: stopping the load, draining briefly, writing partial reports (Ctrl-C again to kill)")
	})
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		usage()
		return 2
	}
	var err error
	code := 0
	switch args[0] {
	case "list":
		err = cmdList(args[1:])
	case "run":
		code, err = cmdRun(ctx, args[1:])
	case "validate":
		code, err = cmdValidate(args[1:])
	case "show":
		err = cmdShow(args[1:])
	case "schema":
		err = cmdSchema(args[1:])
	case "attack":
		code, err = cmdAttack(ctx, args[1:])
	case "report":
		err = cmdReport(args[1:])
	case "images":
		err = cmdImages(ctx, args[1:])
	case "bench":
		err = cmdBench(ctx, args[1:])
	case "help", "-h", "--help":
		usage()
		return 0
	default:
		fmt.Fprintf(os.Stderr, "harness: unknown command %q\n", args[0])
		usage()
		return 2
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "harness %s: %v\n", args[0], err)
		if code == exitPass {
			code = exitUsage
		}
	}
	// An error an interruption caused is an interruption.
	if code == exitUsage && ctx.Err() != nil {
		code = exitInterrupted
	}
	return code
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  harness list                       the scenario catalog
  harness run SCENARIO [flags]       run one scenario, print a table, write reports (-h for flags)
  harness run -f FILE [flags]        run the scenario in a file (YAML or JSON), same flags
  harness validate FILE...           check scenario files: every problem with its line and key
  harness show NAME                  print a built-in scenario as a file
  harness schema                     JSON Schema of scenario files, for editors
  harness attack [flags]             load only, against any registry (-h for flags)
  harness report --in report.json    HTML report from a JSON report
  harness images [--distribution]    build the container images offline (and CNCF Distribution as a peer)
  harness bench --peer DIST [flags]  our registry vs CNCF Distribution (-h for flags)
`)
}
