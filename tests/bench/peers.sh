#!/usr/bin/env bash
# tests/bench/peers.sh [BUILD_DIR] — benchmark driver (not a test): nfegress side by side with what users would use
# instead (issue 8; docs/performance.md "Against the peers"). Root. Everything runs in network namespaces this
# script creates and removes (tests/netns/lib.sh, cleanup on any exit), on documentation addresses only; the
# host's ruleset and interfaces are never touched. Parts (PARTS, default all, in this order):
#   program     nfegress init / nft -f / ip6tables-{nft,legacy}-restore, PROGRAM_SIZES    (peers/program.sh)
#   throughput  iperf3 on the veth: none / nfegress 100k CIDRs / ip6tables 10k rules      (peers/throughput.sh)
#   tls         new TLS connections/s, p50/p99: none / kernel / SNI inspected / nginx ssl_preread / NFQUEUE floor
#                                                                                        (peers/tls.sh)
#   keepalive   requests/s on one HTTP/1.1 keep-alive or h2c gRPC connection: none / kernel / inspected
#                                                                                        (peers/keepalive.sh)
#   micro       the Google Benchmark figures the targets name                             (peers/micro.sh)
# Each part prints a table with ratios to the baseline of the same run and writes CSVs to OUT (default
# BUILD_DIR/bench-peers); peers/plot.gp then draws docs/img/peers-*.png (IMG) from them with gnuplot, and
# peers/report.py writes the Markdown tables of docs/performance.md to OUT/report.md.
# Needs (deploy/dev.sh bench installs them): iperf3, nginx + libnginx-mod-stream, h2load (nghttp2-client), libnetfilter-queue-dev (for
# bench_nfq_accept), iptables, gnuplot-nox, GNU time; targets nfegress bench_tls_client bench_nfq_accept
# bench_parsers bench_matcher bench_compile.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
NFEGRESS_BIN=$BUILD/nfegress
OUT=${OUT:-$BUILD/bench-peers}
IMG=${IMG:-$SRC/docs/img}
PARTS=${PARTS:-program throughput tls keepalive micro}
REPS=${REPS:-3}
source "$SRC/tests/netns/lib.sh"
ns_require_root
mkdir -p "$OUT" "$IMG"

peers_load() { cut -d' ' -f1-3 /proc/loadavg; }
need() { local c; for c in "$@"; do command -v "$c" >/dev/null || fail "needs $c (deploy/dev.sh bench installs it)"; done; }
peers_topology() {  # one pod/net pair for the network parts (throughput, tls)
  [ -n "${POD:-}" ] && return 0
  ns_topology
  ns_add_host "$NET" 2001:db8:3e7::10        # in net0999 of gen_policy.py 1000 100 (Allow); no rule of 10k
  ns_add_host "$NET" 203.0.113.10 allowed.example
  ns_add_host "$NET" 203.0.113.20 proxy.example
  ip netns exec "$POD" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1
}
pod_reset() {  # an empty ruleset in the pod (only the pod's namespace)
  in_pod nft flush ruleset
  in_pod ip6tables-legacy -F OUTPUT
}

need /usr/bin/time python3 nft ip6tables-nft-restore ip6tables-legacy-restore iptables-nft gnuplot
[ -x "$NFEGRESS_BIN" ] || fail "no $NFEGRESS_BIN (cmake --build $BUILD --target nfegress)"

{
  echo "date: $(date -u +%FT%TZ)  host: $(nproc) CPUs, $(uname -r), $(nft --version), $(ip6tables-nft-restore --version 2>&1)"
  echo "commit: $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)  parts: $PARTS"
  echo "load at start: $(peers_load)"
} | tee "$OUT/run.txt"
for part in $PARTS; do
  [ -f "$HERE/peers/$part.sh" ] || fail "unknown part $part"
  source "$HERE/peers/$part.sh"
  echo "=== part $part (load $(peers_load))" | tee -a "$OUT/run.txt"
  "part_$part"
done
echo "load at end: $(peers_load)" | tee -a "$OUT/run.txt"
gnuplot -e "out='$OUT'; img='$IMG'" "$HERE/peers/plot.gp" || fail "gnuplot"
python3 "$HERE/peers/report.py" "$OUT" > "$OUT/report.md"
echo "data: $OUT (Markdown tables: report.md); plots: $IMG/peers-*.png"
