#!/usr/bin/env bash
# Runs the OCI distribution-spec conformance suite against `registry serve`
# with every API feature and data set switched on.
#
#   scripts/conformance.sh [OUT_DIR]          (make conformance: out/conformance)
#
# The suite is a Go module fetched through the Go module proxy and built in
# a scratch copy under OUT_DIR (never committed). Pin another version with
# CONFORMANCE_VERSION=...; extra OCI_* settings in the environment win over
# the ones below (e.g. OCI_FILTER_TEST="OCI Conformance Test/sha512 blobs").
# Exits non-zero unless junit.xml exists, counts at least one test, and
# reports no failures or errors.
set -euo pipefail

OUT=${1:-out/conformance}
VERSION=${CONFORMANCE_VERSION:-v0.0.0-20260831232431-97274622c111}
MODULE=github.com/opencontainers/distribution-spec/conformance
GO=${GO:-go}

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$OUT/results" "$OUT/storage"
mkdir -p "$OUT/bin" "$OUT/results" "$OUT/storage"

echo "== building registry"
(cd "$ROOT" && CGO_ENABLED=0 $GO build -o "$OUT/bin/registry" ./cmd/registry)

echo "== building conformance suite $MODULE@$VERSION"
src=$(cd "$ROOT" && GOFLAGS=-mod=mod $GO mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$src" ] || [ ! -f "$src/go.mod" ]; then
  echo "conformance: cannot find the module source for $MODULE@$VERSION" >&2
  exit 1
fi
rm -rf "$OUT/src"
cp -r "$src" "$OUT/src"
chmod -R u+w "$OUT/src"
(cd "$OUT/src" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 $GO build -o "$OUT/bin/conformance" .)

pids=() # background processes to stop on exit, registry first
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# CONFORMANCE_STORAGE (or STORAGE, as in `make conformance STORAGE=s3`) picks
# the driver: filesystem (default), inmemory, or s3 on a MinIO server started
# here (built with `go install` on first use and cached: minutes the first
# time). CONFORMANCE_HTPASSWD=<file> (with OCI_USERNAME and OCI_PASSWORD) runs
# everything through basic auth.
registry_env=()
case ${CONFORMANCE_STORAGE:-${STORAGE:-filesystem}} in
  filesystem) storage="  filesystem:
    rootdirectory: $OUT/storage" ;;
  inmemory) storage="  inmemory:" ;;
  s3)
    echo "== starting MinIO (servers/cmd/s3server)"
    (cd "$ROOT" && CGO_ENABLED=0 $GO build -o "$OUT/bin/s3server" ./servers/cmd/s3server)
    s3user=conformance
    s3secret=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    : > "$OUT/s3server.out"
    MINIO_ROOT_USER=$s3user MINIO_ROOT_PASSWORD=$s3secret "$OUT/bin/s3server" -bucket registry \
      > "$OUT/s3server.out" 2> "$OUT/s3server.log" &
    pids+=($!)
    endpoint=""
    for _ in $(seq 1 9000); do # up to 15 minutes: the first run builds MinIO
      endpoint=$(sed -n 's/^endpoint=\([^ ]*\) .*/\1/p' "$OUT/s3server.out" | head -1)
      [ -n "$endpoint" ] && break
      kill -0 "${pids[0]}" 2>/dev/null || { tail -n 40 "$OUT/s3server.log" >&2; exit 1; }
      sleep 0.1
    done
    if [ -z "$endpoint" ]; then
      echo "conformance: MinIO did not start" >&2
      tail -n 40 "$OUT/s3server.log" >&2
      exit 1
    fi
    echo "MinIO at $endpoint"
    storage="  s3:
    region: us-east-1
    regionendpoint: $endpoint
    bucket: registry
    rootdirectory: /conformance
    accesskey: $s3user
    chunksize: 5242880"
    # The secret key reaches the registry through its environment override.
    registry_env=("REGISTRY_STORAGE_S3_SECRETKEY=$s3secret") ;;
  *) echo "conformance: CONFORMANCE_STORAGE must be filesystem, inmemory or s3" >&2; exit 2 ;;
esac
auth=""
if [ -n "${CONFORMANCE_HTPASSWD:-}" ]; then
  auth="auth:
  htpasswd:
    realm: conformance
    path: $(cd "$(dirname "$CONFORMANCE_HTPASSWD")" && pwd)/$(basename "$CONFORMANCE_HTPASSWD")"
fi
cat > "$OUT/config.yml" <<YML
version: 0.1
log:
  level: info # the script reads the address from the "registry listening" line
storage:
$storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
  draintimeout: 5s
$auth
YML

echo "== starting registry"
: > "$OUT/registry.log" # exists before the background redirect opens it
env "${registry_env[@]}" "$OUT/bin/registry" serve "$OUT/config.yml" 2> "$OUT/registry.log" &
pid=$!
pids=("$pid" "${pids[@]}")
addr=""
for _ in $(seq 1 100); do
  # The registry logs its real address (port 0 picks a free one).
  addr=$(sed -n 's/.*msg="registry listening" addr=\([^ ]*\).*/\1/p' "$OUT/registry.log" | head -1 || true)
  [ -n "$addr" ] && break
  kill -0 $pid 2>/dev/null || { cat "$OUT/registry.log" >&2; exit 1; }
  sleep 0.1
done
if [ -z "$addr" ]; then
  echo "conformance: registry did not start" >&2
  cat "$OUT/registry.log" >&2
  exit 1
fi
echo "registry at $addr"

export OCI_REGISTRY=${OCI_REGISTRY:-$addr}
export OCI_TLS=${OCI_TLS:-disabled}
export OCI_VERSION=${OCI_VERSION:-1.1}
export OCI_REPO1=${OCI_REPO1:-conformance/repo1}
export OCI_REPO2=${OCI_REPO2:-conformance/repo2}
export OCI_RESULTS_DIR=$OUT/results
export OCI_LOG=${OCI_LOG:-warn}
for v in PULL PUSH BLOBS_ATOMIC BLOBS_DELETE BLOBS_DIGEST_HEADER BLOBS_MOUNT_ANONYMOUS BLOBS_UPLOAD_CANCEL \
         MANIFESTS_ATOMIC MANIFESTS_DELETE MANIFESTS_DIGEST_HEADER MANIFESTS_TAG_PARAM \
         TAGS_ATOMIC TAGS_DELETE TAGS_LIST REFERRER; do
  name=OCI_API_$v; export "$name=${!name:-true}"
done
for v in IMAGE INDEX INDEX_LIST ARTIFACT SUBJECT SUBJECT_MISSING ARTIFACT_LIST SUBJECT_LIST DATA_FIELD \
         NONDISTRIBUTABLE CUSTOM_FIELDS NO_LAYERS EMPTY_BLOB SHA512; do
  name=OCI_DATA_$v; export "$name=${!name:-true}"
done
export OCI_DATA_SPARSE=${OCI_DATA_SPARSE:-false} # the registry requires referenced blobs, as the spec allows

echo "== running conformance suite"
set +e
(cd "$OUT" && "$OUT/bin/conformance") > "$OUT/conformance.log" 2>&1
rc=$?
set -e
tail -n 40 "$OUT/conformance.log"

junit=$OUT/results/junit.xml
if [ ! -s "$junit" ]; then
  echo "conformance: no $junit (exit $rc); the suite did not run" >&2
  exit 1
fi
# Totals from the <testsuites> element.
attr() { sed -n "s/.*<testsuites[^>]* $1=\"\([0-9]*\)\".*/\1/p" "$junit" | head -1; }
# (zero counts are left out of the element)
tests=$(attr tests); failures=$(attr failures); errors=$(attr errors); skipped=$(attr skipped)
failures=${failures:-0}; errors=${errors:-0}
echo "== junit: tests=${tests:-0} failures=$failures errors=$errors skipped=${skipped:-0} (exit $rc)"
echo "   report: $OUT/results/report.html"
if [ -z "$tests" ] || [ "$tests" -eq 0 ]; then
  echo "conformance: junit.xml counts no tests" >&2
  exit 1
fi
if [ "$failures" -ne 0 ] || [ "$errors" -ne 0 ] || [ $rc -ne 0 ]; then
  exit 1
fi
