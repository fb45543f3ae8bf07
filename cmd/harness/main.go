// Command harness runs the scenario catalog against a registry, drives
// load, and renders reports.
//
//	harness list
//	harness run SCENARIO [--runtime inprocess|process|docker] [--registry-url U --debug-url D | --registry-binary B [--config-template F]]
//	                     [--registry-image IMG] [--receiver NAME=URL] [--rate R --duration D --count N] [--out DIR]
//	harness attack (--registry-url U | --inprocess) [--op manifest-push] [--rate R] [--duration D | --count N] [--out DIR]
//	harness report --in DIR/report.json [--out report.html]
//	harness images [--distribution]
//
// Exit status: 0 when every expectation held, 1 when one failed, 2 when the
// run could not happen (bad flags, unsupported capability, start failure).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
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
	case "attack":
		err = cmdAttack(ctx, args[1:])
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
		return 2
	}
	return code
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  harness list                       the scenario catalog
  harness run SCENARIO [flags]       run one scenario, print a table, write reports (-h for flags)
  harness attack [flags]             load only, against any registry (-h for flags)
  harness report --in report.json    HTML report from a JSON report
  harness images [--distribution]    build the container images offline (and CNCF Distribution as a peer)
  harness bench --peer DIST [flags]  our registry vs CNCF Distribution (-h for flags)
`)
}
