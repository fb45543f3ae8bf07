// Command registry serves the OCI distribution API from a Distribution-style
// config.yml:
//
//	registry serve /etc/registry/config.yml
//	registry notifications replay <endpoint> --config /etc/registry/config.yml
//	registry garbage-collect [--dry-run] [--delete-untagged] /etc/registry/config.yml
//	registry --version
//
// REGISTRY_* environment variables override config keys as in Distribution
// (REGISTRY_HTTP_ADDR=:5000 sets http.addr). SIGTERM or SIGINT stops taking
// requests, waits up to http.draintimeout for in-flight ones and pending
// notifications, then exits; a second signal exits at once.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/hookbench/hookbench/app"
	"github.com/hookbench/hookbench/config"
)

// version is set with -ldflags "-X main.version=v1.2.3"; otherwise the
// module version or VCS revision from the build info is used.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

const usage = `usage:
  registry serve <config.yml>   serve the registry (or REGISTRY_CONFIGURATION_PATH)
  registry notifications replay <endpoint> [--config config.yml]
                                re-deliver an endpoint's dead letters (same ids)
  registry garbage-collect [--dry-run] [--delete-untagged] <config.yml>
                                remove blobs no manifest references (registry
                                stopped, or read-only)
  registry --version            print the version
`

func run(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "--version", "-v", "version":
		fmt.Fprintln(stdout, "registry", versionString())
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "notifications":
		return notificationsCmd(ctx, args[1:], env, stdout, stderr)
	case "garbage-collect":
		return gcCmd(ctx, args[1:], env, stdout, stderr)
	case "serve":
		path := ""
		switch len(args) {
		case 1:
			path = lookup(env, "REGISTRY_CONFIGURATION_PATH")
		case 2:
			path = args[1]
		}
		if path == "" {
			fmt.Fprint(stderr, "registry serve: want exactly one config file\n"+usage)
			return 2
		}
		return serve(ctx, path, env, stderr)
	}
	fmt.Fprintf(stderr, "registry: unknown command %q\n%s", args[0], usage)
	return 2
}

func serve(ctx context.Context, path string, env []string, stderr io.Writer) int {
	cfg, warnings, err := config.Load(path, env)
	if err != nil {
		fmt.Fprintln(stderr, "registry:", err)
		return 1
	}
	log := app.NewLogger(cfg.Log, stderr)
	for _, w := range warnings {
		log.Warn("config", "warning", w)
	}
	a, err := app.New(cfg, app.WithLogger(log))
	if err != nil {
		log.Error("registry: cannot start", "error", err)
		return 1
	}
	if err := a.Start(); err != nil {
		log.Error("registry: cannot listen", "error", err)
		return 1
	}
	log.Info("registry started", "version", versionString(), "addr", a.Addr(), "debug", a.DebugAddr())
	code := 0
	select {
	case <-ctx.Done():
		log.Info("registry: signal received, draining", "timeout", cfg.HTTP.DrainTimeout)
	case err := <-a.Errors():
		log.Error("registry: listener failed", "error", err)
		code = 1
	}
	// A second signal cuts the drain short.
	dctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.DrainTimeout)
	defer cancel()
	again := make(chan os.Signal, 1)
	signal.Notify(again, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(again)
	go func() {
		select {
		case <-again:
			cancel()
		case <-dctx.Done():
		}
	}()
	if err := a.Shutdown(dctx); err != nil {
		log.Warn("registry: shutdown incomplete", "error", err)
	}
	return code
}

func lookup(env []string, key string) string {
	for _, e := range env {
		if len(e) > len(key) && e[:len(key)] == key && e[len(key)] == '=' {
			return e[len(key)+1:]
		}
	}
	return ""
}

func versionString() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return rev + dirty
	}
	if v == "" {
		return "(devel)"
	}
	return v
}
