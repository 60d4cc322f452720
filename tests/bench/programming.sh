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
# Knobs for tests/bench/peers.sh: NETWORKS (default 1000) EgressNetworks of 100 CIDRs; PEERS=1 adds
# ip6tables-restore of one rule per CIDR (each of IPT_RESTORES, default ip6tables-nft-restore; tool name
# iptables-nft / iptables-legacy) and, for each tool, a one-network change after a full load (network 0's 100
# prefixes move) in the first CHANGE_RUNS runs (default RUNS); CSV=FILE appends
# "tool,cidrs,wall_s,user_s,sys_s,rss_kb" per timed run; GBENCH=0 skips programming_bench. SHAPE=blocklist
# programs tests/bench/gen_blocklist.py's random, overlapping public IPv4 CIDRs instead (init and nft -f only).
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$BUILD/nfegress
BENCH=$BUILD/tests/bench/programming_bench
RUNS=${RUNS:-3} NETWORKS=${NETWORKS:-1000} PEERS=${PEERS:-0} CSV=${CSV:-} GBENCH=${GBENCH:-1}
IPT_RESTORES=${IPT_RESTORES:-ip6tables-nft-restore} CHANGE_RUNS=${CHANGE_RUNS:-$RUNS} SHAPE=${SHAPE:-disjoint}
case $SHAPE in
  disjoint) GEN=gen_policy.py ;;
  blocklist) GEN=gen_blocklist.py; [ "$PEERS" == 0 ] || { echo "programming.sh: SHAPE=blocklist takes no PEERS" >&2; exit 1; } ;;
  *) echo "programming.sh: SHAPE is disjoint or blocklist, not $SHAPE" >&2; exit 1 ;;
esac
[ "$(id -u)" == 0 ] || { echo "programming.sh: needs root (it unshares a network namespace)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "programming.sh: needs GNU time for peak RSS (apt install time)" >&2; exit 1; }
TMP=$(mktemp -d /tmp/nfegress-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

python3 "$HERE/$GEN" "$NETWORKS" 100 > "$TMP/policy.yaml"
OPTS=(--namespace app --cluster-networks 198.51.100.0/24 --queue-impl compat)
"$BIN" export "$TMP/policy.yaml" "${OPTS[@]}" --format nft --checkable > "$TMP/ruleset.nft" 2>/dev/null
if [ "$PEERS" == 1 ]; then
  python3 "$HERE/gen_policy.py" "$NETWORKS" 100 1 > "$TMP/policy1.yaml"
  python3 "$HERE/gen_peers.py" iptables "$NETWORKS" 100 > "$TMP/iptables.rules"
  python3 "$HERE/gen_peers.py" iptables-change 100 > "$TMP/iptables-change.rules"
  chain=$(awk '/^\tchain /{c=$2} /linkerd-egress\/net0000:/{print c; exit}' "$TMP/ruleset.nft")
  map=dst6; ! grep -q 'map dst6_64 {' "$TMP/ruleset.nft" || map=dst6_64  # where the export keeps the /64s
  python3 "$HERE/gen_peers.py" nft-change 100 "${chain:?no chain for net0000 in the export}" "$map" > "$TMP/change.nft"
fi
echo "policy ($SHAPE): $(grep -c '^kind: EgressNetwork' "$TMP/policy.yaml") EgressNetworks, $(grep -c 'cidr:' "$TMP/policy.yaml") CIDRs; export: $(wc -c < "$TMP/ruleset.nft") bytes"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

export BIN TMP RUNS PEERS CSV IPT_RESTORES CHANGE_RUNS CIDRS=$((NETWORKS * 100))
unshare -n bash -s -- "${OPTS[@]}" <<'INNER'
set -euo pipefail
timed() {  # timed LABEL CMD...: GNU time's figures, printed and appended to $CSV
  local label=$1; shift
  echo "$label:"
  /usr/bin/time -o "$TMP/time" -f '%e %U %S %M' "$@" 2>&1 | sed 's/^/  /'
  read -r e u s m < "$TMP/time"
  echo "  $e s wall, $u s user, $s s sys, $m KB peak RSS"
  [ -z "$CSV" ] || echo "$label,$CIDRS,$e,$u,$s,$m" >> "$CSV"
}
clean() {
  nft delete table inet nfegress 2>/dev/null || true; nft delete table ip6 filter 2>/dev/null || true
  ip6tables-legacy -F OUTPUT 2>/dev/null || true
}
changes() { [ "$PEERS" == 1 ] && [ "$1" -le "$CHANGE_RUNS" ]; }
for i in $(seq "$RUNS"); do
  clean
  timed init "$BIN" init "$TMP/policy.yaml" "$@"
  if changes "$i"; then timed init-change "$BIN" init "$TMP/policy1.yaml" "$@"; fi
done
for i in $(seq "$RUNS"); do
  clean
  timed nft nft -f "$TMP/ruleset.nft"
  if changes "$i"; then timed nft-change nft -f "$TMP/change.nft"; fi
done
[ "$PEERS" == 1 ] || IPT_RESTORES=""
for ipt in $IPT_RESTORES; do
  label=${ipt#ip6tables-}; label=iptables-${label%-restore}
  for i in $(seq "$RUNS"); do
    clean
    timed "$label" "$ipt" "$TMP/iptables.rules"
    if changes "$i"; then timed "$label-change" "$ipt" --noflush "$TMP/iptables-change.rules"; fi
  done
done
clean
INNER
[ "$GBENCH" == 0 ] || "$BENCH" --benchmark_repetitions="$RUNS" --benchmark_report_aggregates_only=true
