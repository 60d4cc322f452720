#!/usr/bin/env bash
# tests/bench/run.sh BUILD_DIR — every benchmark script under tests/bench/ (`deploy/dev.sh bench`). Each prints its
# figures; docs/performance.md records them with the command. Benchmarks are never tests: nothing here fails on a
# slow figure, only on a broken run.
set -euo pipefail
BUILD=${1:?usage: run.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
status=0
for s in "$HERE"/*.sh; do
  [ "$(basename "$s")" == run.sh ] && continue
  echo "=== $(basename "$s")"
  bash "$s" "$BUILD" || { echo "=== $(basename "$s") failed" >&2; status=1; }
done
exit $status
