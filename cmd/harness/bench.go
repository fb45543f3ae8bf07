package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hookbench/hookbench/bench"
	"github.com/hookbench/hookbench/harness/runtime/process"
)

// cmdBench runs the issue-8 benchmarks: ours (default and with extensions)
// against CNCF Distribution, every program a child process on loopback.
func cmdBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	out := fs.String("out", "out/bench", "directory for bench.json and bench.md")
	peer := fs.String("peer", "", "CNCF Distribution registry binary (required)")
	binDir := fs.String("bin", "", "directory with built registry and fake-endpoint (default: build into OUT/bin)")
	module := fs.String("module", ".", "module directory to build from when --bin is not given")
	quick := fs.Bool("quick", false, "small counts (a smoke run of the benchmark itself, about a minute)")
	def := bench.DefaultSizes()
	memEvents := fs.Int("memory-events", def.MemoryEvents, "pending events for the memory measurement")
	memDistinct := fs.Int("memory-distinct", def.MemoryDistinct, "distinct manifests per repository the memory pushes cycle through, so storage stays constant (0: every push a new manifest)")
	memLimit := fs.Duration("memory-push-limit", def.MemoryPushLimit, "time bound of every backlog push")
	drainEvents := fs.Int("drain-events", def.DrainEvents, "backlog drained by ours with extensions")
	drainPeer := fs.Int("drain-events-peer", def.DrainEventsPeer, "backlog drained by Distribution and ours default")
	rateExt := fs.Int("rate-events", def.RateEventsExt, "backlog delivered to the 10 ms receiver by ours with extensions")
	ratePeer := fs.Int("rate-events-peer", def.RateEventsPeer, "backlog delivered to the 10 ms receiver by Distribution and ours default")
	pushDur := fs.Duration("push-duration", def.PushDuration, "length of each push throughput run")
	skipPeerMem := fs.Bool("skip-peer-memory", false, "do not fill Distribution's in-memory queue")
	sdef := bench.DefaultStorageSizes()
	sections := fs.String("sections", "notifications,storage,queue", "what to measure: notifications, storage, queue (comma-separated)")
	queueEvents := fs.Int("queue-events", def.QueueEvents, "backlog drained per queue kind and setting in the queue section")
	stored := fs.Int("stored-manifests", sdef.StoredManifests, "distinct manifests stored for the storage memory row (0: skip)")
	storedLimit := fs.Duration("stored-push-limit", sdef.StoredPushLimit, "time bound of the stored-manifests push")
	blobDur := fs.Duration("blob-duration", sdef.SmallDuration, "length of each 1 MiB blob push run")
	largeCount := fs.Int("large-blobs", sdef.LargeCount, "64 MiB blobs pushed per registry and flow (0: skip)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *memDistinct < 0 {
		return fmt.Errorf("--memory-distinct %d is negative", *memDistinct)
	}
	sizes := def
	sizes.MemoryEvents, sizes.MemoryPushLimit, sizes.MemoryDistinct = *memEvents, *memLimit, *memDistinct
	sizes.DrainEvents, sizes.DrainEventsPeer = *drainEvents, *drainPeer
	sizes.RateEventsExt, sizes.RateEventsPeer = *rateExt, *ratePeer
	sizes.PushDuration, sizes.SkipPeerMemory = *pushDur, *skipPeerMem
	if *queueEvents <= 0 {
		return fmt.Errorf("--queue-events %d must be positive", *queueEvents)
	}
	sizes.QueueEvents = *queueEvents
	st := sdef
	st.StoredManifests, st.StoredPushLimit, st.SmallDuration, st.LargeCount = *stored, *storedLimit, *blobDur, *largeCount
	var secs []string
	for _, sec := range strings.Split(*sections, ",") {
		switch sec = strings.TrimSpace(sec); sec {
		case "notifications", "storage", "queue":
			secs = append(secs, sec)
		default:
			return fmt.Errorf("--sections: unknown section %q (want notifications, storage, queue)", sec)
		}
	}
	if *peer == "" && (slices.Contains(secs, "notifications") || slices.Contains(secs, "storage")) {
		return errors.New("--peer (CNCF Distribution's registry binary) is required for the notifications and storage sections")
	}
	if *quick {
		st.StoredManifests, st.SmallDuration, st.LargeCount = 20_000, 2*time.Second, 2
		sizes.RateEventsPeer, sizes.RateEventsExt = 100, 2000
		sizes.DrainEvents, sizes.DrainEventsPeer = 5000, 1000
		sizes.MemoryEvents, sizes.MemoryEventsPeer = 5000, 5000
		sizes.MemoryDistinct = min(sizes.MemoryDistinct, 10) // 640 manifests, so 5000 pushes do repeat
		sizes.PushDuration = 2 * time.Second
		sizes.QueueEvents = 2000
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var bins process.Binaries
	if *binDir != "" {
		bins = process.Binaries{Registry: filepath.Join(*binDir, "registry"), FakeEndpoint: filepath.Join(*binDir, "fake-endpoint")}
	} else {
		var err error
		if bins, err = process.Build(ctx, *module, filepath.Join(*out, "bin")); err != nil {
			return err
		}
	}
	var version []byte
	if *peer != "" {
		version, _ = exec.CommandContext(ctx, *peer, "--version").CombinedOutput()
	}
	rep, err := bench.Run(ctx, bench.Options{
		Binaries: bins, Peer: *peer, PeerVersion: strings.TrimSpace(string(version)),
		Sizes: sizes, Storage: st, Sections: secs, WorkDir: *out, Log: os.Stderr,
		Command: "harness bench " + strings.Join(args, " "),
	})
	if rep != nil {
		js, _ := json.MarshalIndent(rep, "", "  ")
		if werr := os.WriteFile(filepath.Join(*out, "bench.json"), js, 0o644); werr != nil {
			return werr
		}
		md := rep.Markdown()
		if werr := os.WriteFile(filepath.Join(*out, "bench.md"), []byte(md), 0o644); werr != nil {
			return werr
		}
		fmt.Print(md)
	}
	return err
}
