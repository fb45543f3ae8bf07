// Command fake-endpoint is a flaky webhook receiver for registry
// notification pipelines: it records every delivery in an exact ledger and
// breaks on purpose according to a fault profile switchable at runtime
// through its admin API. See fakes/endpoint and docs/fake-endpoint.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hookbench/hookbench/fakes/endpoint"
)

const profileEnv = "FAKE_ENDPOINT_PROFILE"

const usageHead = `Usage: fake-endpoint [flags]

A flaky webhook receiver. POST Distribution envelopes ({"events":[...]},
Content-Type application/vnd.docker.distribution.events.v2+json or
application/json) to any path of --addr; control and observe it on
--admin-addr:

  GET  /ledger?id=&repository=&action=&outcome=&since=RFC3339   recorded deliveries (JSON array)
  GET  /stats                                                  exact counters
  GET  /fault | PUT /fault                                     read / replace the fault profile
  POST /reset                                                  clear ledger and counters
  GET  /healthz                                                liveness

The initial profile comes from --profile, else --profile-file, else the
environment variable ` + profileEnv + `, else {} (answer 200 to everything).

Profile JSON (every key optional; durations are "250ms"-style strings):
  status N              fixed answer (default 200)
  sequence [N,...]      answers cycled per delivery: [500,500,200]; 0 = no fault
  errorRate F           fraction answered errorStatus (default 500), drawn
  errorStatus N         from a PRNG seeded with seed: reproducible
  seed N
  failFirst N           first N deliveries answered failStatus (default 500)
  failStatus N
  latency D | {"fixed":D} | {"min":D,"max":D} | {"median":D,"sigma":F} (+ "seed")
                        delay before answering (fixed, uniform, lognormal tail)
  hang true             never answer; held until the client gives up
  reset true            close the connection with a TCP RST, no status
  refuse true           stop listening (connection refused); the same port
                        comes back when a profile without refuse is set
  flap D                alternate: up for D, down (refusing) for D
  rules [{"repository":GLOB,"action":GLOB,"mediaType":GLOB, <fault keys>}]
                        deliveries with an event matching a rule get its fault
  authorization S       required Authorization header value, else 401
  secret whsec_...      require a valid Standard Webhooks signature, else 401
  signatureTolerance D  max |now - webhook-timestamp| (default 5m)
  duplicate F           proxy mode: forward this fraction twice
  reorder F             proxy mode: answer 200 at once, forward after the next

Example:
  fake-endpoint --addr :8080 --admin-addr :8081 --profile '{"sequence":[500,500,200]}'
  fake-endpoint --proxy http://my-receiver:9000/hook --profile '{"errorRate":0.2,"seed":7}'

Flags:
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fake-endpoint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
			fs.SetOutput(stdout) // asked for: usage is the output, not an error
		}
	}
	addr := fs.String("addr", ":8080", "receiver listen address (host:port; :0 picks a free port)")
	adminAddr := fs.String("admin-addr", ":8081", "admin API listen address (host:port)")
	ledgerCap := fs.Int("ledger-cap", 1_000_000, "keep at most this many ledger rows (ring buffer; counters stay exact); 0 = unbounded")
	proxy := fs.String("proxy", "", "proxy mode: forward deliveries no fault answered to this real receiver URL and answer with its status")
	profile := fs.String("profile", "", "initial fault profile as JSON (see above)")
	profileFile := fs.String("profile-file", "", "read the initial fault profile from this JSON file")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	logJSON := fs.Bool("log-json", false, "log as JSON lines instead of text")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHead)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fake-endpoint: unexpected arguments %q (see --help)\n", fs.Args())
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "fake-endpoint: --log-level: %v\n", err)
		return 2
	}
	hopts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(stderr, hopts)
	if *logJSON {
		h = slog.NewJSONHandler(stderr, hopts)
	}
	log := slog.New(h)

	p, src, err := initialProfile(*profile, *profileFile, os.Getenv(profileEnv))
	if err != nil {
		log.Error("initial profile", "source", src, "err", err)
		return 2
	}
	opts := []endpoint.Option{endpoint.WithProfile(p), endpoint.WithLedgerCap(*ledgerCap), endpoint.WithLogger(log)}
	if *proxy != "" {
		opts = append(opts, endpoint.WithProxy(*proxy))
	}
	// Catch signals before listening: a SIGTERM right after start still
	// shuts down cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := endpoint.New(opts...)
	if err := srv.Start(*addr, *adminAddr); err != nil {
		log.Error("start", "err", err)
		return 1
	}
	log.Info("profile", "source", src)
	<-ctx.Done()
	log.Info("shutting down")
	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	select {
	case err := <-done:
		if err != nil {
			log.Warn("close", "err", err)
		}
	case <-time.After(10 * time.Second):
		log.Warn("close timed out")
	}
	st := srv.Stats()
	log.Info("stopped", "deliveries", st.Deliveries, "events", st.Events, "unique", st.Unique)
	return 0
}

// initialProfile picks the first source given: flag, file, environment.
func initialProfile(flagJSON, file, env string) (endpoint.Profile, string, error) {
	switch {
	case strings.TrimSpace(flagJSON) != "":
		p, err := endpoint.ParseProfile([]byte(flagJSON))
		return p, "--profile", err
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return endpoint.Profile{}, "--profile-file", err
		}
		p, err := endpoint.ParseProfile(b)
		return p, "--profile-file " + file, err
	case strings.TrimSpace(env) != "":
		p, err := endpoint.ParseProfile([]byte(env))
		return p, profileEnv, err
	}
	return endpoint.Profile{}, "default", nil
}
