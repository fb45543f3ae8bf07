package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hookbench/hookbench/app"
	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/notifications"
)

const notificationsUsage = `usage:
  registry notifications replay <endpoint> [--config config.yml] [--timeout 5m]
      re-deliver the endpoint's dead letters (deadletter.path) with their
      original ids; the log replayed is kept as <path>.replayed-<time>, events
      that fail again go to a fresh <path>
`

// notificationsCmd dispatches `registry notifications ...`.
func notificationsCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "replay" {
		fmt.Fprint(stderr, "registry notifications: want a subcommand\n"+notificationsUsage)
		return 2
	}
	return replayCmd(ctx, args[1:], env, stdout, stderr)
}

// replayCmd parses `replay <endpoint> [flags]` (flags before or after the name).
func replayCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("registry notifications replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "registry config.yml (default $REGISTRY_CONFIGURATION_PATH)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up re-delivering after this long")
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(names) != 1 {
		fmt.Fprint(stderr, "registry notifications replay: want exactly one endpoint name\n"+notificationsUsage)
		return 2
	}
	if *cfgPath == "" {
		*cfgPath = lookup(env, "REGISTRY_CONFIGURATION_PATH")
	}
	if *cfgPath == "" {
		fmt.Fprint(stderr, "registry notifications replay: no config: pass --config or set REGISTRY_CONFIGURATION_PATH\n")
		return 2
	}
	cfg, _, err := config.Load(*cfgPath, env)
	if err != nil {
		fmt.Fprintln(stderr, "registry:", err)
		return 1
	}
	rctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	rep, err := replay(rctx, cfg, names[0], app.NewLogger(cfg.Log, stderr))
	if err != nil {
		fmt.Fprintln(stderr, "registry notifications replay:", err)
		return 1
	}
	fmt.Fprintf(stdout, "replayed %d events to %s: %d delivered, %d dead-lettered again (%s); replayed log kept at %s\n",
		rep.Events, names[0], rep.Delivered, rep.DeadLettered, rep.Path, rep.Kept)
	return 0
}

// replayReport is what one replay did.
type replayReport struct {
	Events, Delivered, DeadLettered int
	Path                            string // the endpoint's dead-letter log (fresh: events failing again)
	Kept                            string // where the replayed log was moved
}

// replay re-delivers the named endpoint's dead letters through a notifier
// of its own with the endpoint's settings (memory queue: the registry may
// hold the disk queue). The log is moved aside first, so events failing
// again land in a fresh log and a second replay never resends what was
// delivered; if the deadline ends first, every replayed record is appended
// back to the log (at least once: receivers dedupe by id).
func replay(ctx context.Context, cfg *config.Config, name string, log *slog.Logger) (replayReport, error) {
	i := slices.IndexFunc(cfg.Notifications.Endpoints, func(ep config.Endpoint) bool { return ep.Name == name })
	if i < 0 {
		var have []string
		for _, ep := range cfg.Notifications.Endpoints {
			have = append(have, fmt.Sprintf("%q", ep.Name))
		}
		return replayReport{}, fmt.Errorf("no endpoint named %q in notifications.endpoints (configured: %s)", name, orNone(have))
	}
	ep := cfg.Notifications.Endpoints[i]
	path := ep.DeadLetter.Path
	if path == "" {
		return replayReport{}, fmt.Errorf("notifications.endpoints[%d] (%s): no deadletter.path: nothing to replay", i, name)
	}
	kept := fmt.Sprintf("%s.replayed-%s", path, time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(path, kept); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return replayReport{}, fmt.Errorf("no dead letters for %s: %s does not exist", name, path)
		}
		return replayReport{}, err
	}
	rep := replayReport{Path: path, Kept: kept}
	f, err := os.Open(kept)
	if err != nil {
		return rep, err
	}
	recs, rerr := notifications.ReadDeadLetters(f)
	f.Close()
	if rerr != nil {
		log.Warn("replay: damaged lines skipped (kept in the replayed log)", "path", kept, "error", rerr)
	}
	var events []notifications.Event
	for _, r := range recs {
		events = append(events, r.Events...)
	}
	rep.Events = len(events)
	if len(events) == 0 {
		return rep, nil
	}

	ep.Disabled = false
	ep.Queue = config.Queue{} // memory: the registry may be holding the disk queue's file
	one := config.Notifications{Events: cfg.Notifications.Events, Endpoints: []config.Endpoint{ep}}
	n, err := app.NewNotifier(one, notifications.WithLogger(log)) // the registry's own path, memory queue aside
	if err != nil {
		return rep, restore(path, recs, err)
	}
	if err := n.Requeue(name, events); err != nil {
		n.Shutdown(ctx)
		return rep, restore(path, recs, err)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		m := n.Metrics()[name]
		rep.Delivered, rep.DeadLettered = m.Successes, m.DeadLettered
		if m.Pending == 0 {
			n.Shutdown(ctx)
			return rep, nil
		}
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			n.Shutdown(sctx)
			return rep, restore(path, recs, fmt.Errorf("%d of %d events still undelivered when the deadline ended: %w", m.Pending, len(events), ctx.Err()))
		case <-tick.C:
		}
	}
}

// restore appends recs back to the dead-letter log after a failed replay,
// so no event is lost; it returns cause, with any write error joined.
func restore(path string, recs []notifications.DeadLetterRecord, cause error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return errors.Join(cause, fmt.Errorf("restoring %s: %w", path, err))
	}
	enc := json.NewEncoder(f)
	for _, r := range recs {
		if err = enc.Encode(r); err != nil {
			break
		}
	}
	err = errors.Join(err, f.Sync(), f.Close())
	if err != nil {
		return errors.Join(cause, fmt.Errorf("restoring %s: %w", path, err))
	}
	return fmt.Errorf("%w (the replayed records were appended back to %s)", cause, path)
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}
