package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/hookbench/hookbench/app"
	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/registry"
	"github.com/hookbench/hookbench/registry/storage/filesystem"
)

const gcUsage = `usage:
  registry garbage-collect [--dry-run] [--delete-untagged] <config.yml>
      remove the blobs no manifest references (from every repository);
      --delete-untagged first deletes manifests no tag, index or subject
      keeps. Run it with the registry stopped, or (without
      --delete-untagged) beside a registry in read-only mode
      (storage.maintenance.readonly.enabled); a registry taking writes is
      detected and refused.
`

// gcCmd runs `registry garbage-collect`.
func gcCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("registry garbage-collect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, gcUsage) }
	var o registry.GCOptions
	fs.BoolVar(&o.DryRun, "dry-run", false, "report what would be removed, remove nothing")
	fs.BoolVar(&o.DryRun, "d", false, "short for --dry-run (as Distribution)")
	fs.BoolVar(&o.DeleteUntagged, "delete-untagged", false, "also delete manifests no tag reaches")
	fs.BoolVar(&o.DeleteUntagged, "m", false, "short for --delete-untagged (as Distribution)")
	var paths []string
	for { // flags before or after the config file
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		paths = append(paths, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(paths) == 0 {
		if p := lookup(env, "REGISTRY_CONFIGURATION_PATH"); p != "" {
			paths = append(paths, p)
		}
	}
	if len(paths) != 1 {
		fmt.Fprint(stderr, "registry garbage-collect: want exactly one config file\n"+gcUsage)
		return 2
	}
	cfg, warnings, err := config.Load(paths[0], env)
	if err != nil {
		fmt.Fprintln(stderr, "registry garbage-collect:", err)
		return 1
	}
	o.Log = app.NewLogger(cfg.Log, stderr)
	for _, w := range warnings {
		o.Log.Warn("config", "warning", w)
	}
	if cfg.Storage.Filesystem == nil {
		fmt.Fprintln(stderr, "registry garbage-collect: storage: only filesystem storage can be collected (inmemory content lives and dies with its registry process)")
		return 1
	}
	// Without --delete-untagged the index is only read: a shared lock,
	// which a read-only registry holds too, while a registry taking writes
	// holds it alone and so is detected.
	var opts []filesystem.Option
	if !o.DeleteUntagged {
		opts = append(opts, filesystem.ReadOnly())
	}
	d, err := filesystem.New(cfg.Storage.Filesystem.RootDirectory, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "registry garbage-collect: storage.filesystem.rootdirectory: %v\n", err)
		if o.DeleteUntagged {
			fmt.Fprintln(stderr, "registry garbage-collect: --delete-untagged needs the registry stopped")
		} else {
			fmt.Fprintln(stderr, "registry garbage-collect: stop the registry, or restart it with storage.maintenance.readonly.enabled: true")
		}
		return 1
	}
	defer d.Close()
	res, err := registry.GarbageCollect(ctx, d, o)
	if err != nil {
		fmt.Fprintln(stderr, "registry garbage-collect:", err)
		return 1
	}
	verb := "removed"
	if o.DryRun {
		verb = "would remove"
	}
	for _, m := range res.DeletedManifests {
		fmt.Fprintf(stdout, "%s manifest %s\n", verb, m)
	}
	for _, b := range res.Swept {
		fmt.Fprintf(stdout, "%s blob %s\n", verb, b)
	}
	fmt.Fprintf(stdout, "%d manifests marked, %d blobs: %d kept, %d %s (%d bytes), %d untagged manifests %s\n",
		res.Manifests, res.Blobs, res.Kept, len(res.Swept), verb, res.SweptBytes, len(res.DeletedManifests), verb)
	return 0
}
