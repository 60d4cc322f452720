#!/usr/bin/env bash
# tests/bench/programming.sh [BUILD_DIR] — benchmark (not a test): programming 100k CIDRs in 1,000 EgressNetworks.
# In a private network namespace (unshare -n; the host's ruleset is never touched), as root:
#   1. `nfegress init` of the generated policy, from an empty namespace: wall time, CPU time, peak RSS
#      (/usr/bin/time), and init's own per-phase split (load, compile, probe, ruleset+batch, kernel);
#   2. `nft -f` of the same ruleset as `nfegress export --format nft --checkable` prints it (nft 1.0.6 cannot
#      parse the xt NFQUEUE rule, so that one rule is left out of nft's load): the same figures;
#   3. programming_bench (Google Benchmark): build_ruleset, replace_batch, the transaction, and a one-network
#      change through update_batch (what the enforcer's live reload sends).
# RUNS (default 3) runs of 1 and 2 each. Figures go to stdout; docs/performance.md records them.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$BUILD/nfegress
BENCH=$BUILD/tests/bench/programming_bench
RUNS=${RUNS:-3}
[ "$(id -u)" == 0 ] || { echo "programming.sh: needs root (it unshares a network namespace)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "programming.sh: needs GNU time for peak RSS (apt install time)" >&2; exit 1; }
TMP=$(mktemp -d /tmp/nfegress-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

python3 "$HERE/gen_policy.py" 1000 100 > "$TMP/policy.yaml"
OPTS=(--namespace app --cluster-networks 198.51.100.0/24 --queue-impl compat)
"$BIN" export "$TMP/policy.yaml" "${OPTS[@]}" --format nft --checkable > "$TMP/ruleset.nft" 2>/dev/null
echo "policy: $(grep -c '^kind: EgressNetwork' "$TMP/policy.yaml") EgressNetworks, $(grep -c 'cidr:' "$TMP/policy.yaml") CIDRs; export: $(wc -c < "$TMP/ruleset.nft") bytes"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

FMT='%e s wall, %U s user, %S s sys, %M KB peak RSS'
unshare -n bash -s -- "$BIN" "$TMP" "$RUNS" "$FMT" "${OPTS[@]}" <<'INNER'
set -euo pipefail
BIN=$1 TMP=$2 RUNS=$3 FMT=$4; shift 4
for i in $(seq "$RUNS"); do
  nft delete table inet nfegress 2>/dev/null || true
  echo "nfegress init run $i:"
  /usr/bin/time -f "  $FMT" "$BIN" init "$TMP/policy.yaml" "$@" 2>&1 | sed 's/^/  /'
done
for i in $(seq "$RUNS"); do
  nft delete table inet nfegress 2>/dev/null || true
  echo "nft -f run $i:"
  /usr/bin/time -f "  $FMT" nft -f "$TMP/ruleset.nft" 2>&1 | sed 's/^/  /'
done
nft delete table inet nfegress 2>/dev/null || true
INNER
"$BENCH" --benchmark_repetitions="$RUNS" --benchmark_report_aggregates_only=true
