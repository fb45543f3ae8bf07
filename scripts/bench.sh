#!/usr/bin/env bash
# bench.sh OUT_DIR [harness bench flags...]
#
# What `make bench` runs: our registry (default mode and with the opt-in
# delivery extensions) against CNCF Distribution v3.1.2 on this machine, in
# one run. Writes OUT_DIR/bench/bench.json and OUT_DIR/bench/bench.md (the
# table docs/benchmarks.md quotes). About 12-20 minutes on two cores, plus
# about 6-9 for the storage section (stored manifests, restart, 1 MiB and
# 64 MiB blob pushes) and about 2 for the queue section (the shared nats
# queue against the disk queue, our registry only); `--sections storage` or
# `--sections queue` runs only that one.
#
# Distribution is installed (never committed) with
#   GOBIN=$PEER_DIR go install github.com/distribution/distribution/v3/cmd/registry@v3.1.2
# into PEER_DIR (default: /tmp/peers, or $XDG_CACHE_HOME/hookbench/peers if
# /tmp/peers has no registry and cannot be written).
set -euo pipefail

out=${1:?usage: scripts/bench.sh OUT_DIR [harness bench flags]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
peer_version=v3.1.2
peer_dir=${PEER_DIR:-/tmp/peers}
if [ ! -x "$peer_dir/registry" ] && ! mkdir -p "$peer_dir" 2>/dev/null; then
  peer_dir=${XDG_CACHE_HOME:-$HOME/.cache}/hookbench/peers
fi
peer=$peer_dir/registry

if [ ! -x "$peer" ] || ! "$peer" --version 2>/dev/null | grep -q "$peer_version"; then
  echo "bench: installing CNCF Distribution $peer_version into $peer_dir" >&2
  mkdir -p "$peer_dir"
  GOBIN=$peer_dir go install "github.com/distribution/distribution/v3/cmd/registry@$peer_version"
fi

bench_out=$out/bench
bin=$bench_out/bin
mkdir -p "$bin"
echo "bench: building cmd/registry, cmd/fake-endpoint, cmd/harness into $bin" >&2
(cd "$root" && go build -o "$bin/" ./cmd/registry ./cmd/fake-endpoint ./cmd/harness)

"$bin/harness" bench --peer "$peer" --bin "$bin" --out "$bench_out" "$@"
echo "bench: wrote $bench_out/bench.json and $bench_out/bench.md" >&2
