#!/usr/bin/env bash
# tests/bench/enforcer_profile.sh [BUILD_DIR] — benchmark driver (not a test): where `nfegress enforce` spends its
# CPU on inspected TLS connections (issue 19). The tls part's "inspect" case of tests/bench/peers.sh (nginx TLS 1.3
# in the net namespace, a TLSRoute on the SNI, bench_tls_client with PROFILE_THREADS clients for PROFILE_SECS), with
# `perf record -g` attached to the enforcer; then the NFQUEUE floor (bench_nfq_accept) for as long. Prints the CPU
# per connection of both and perf's flat and inclusive profiles
# (PROFILE_OUT, default BUILD_DIR/bench-profile). Root; namespaces only (tests/netns/lib.sh), documentation addresses.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
NFEGRESS_BIN=$BUILD/nfegress
OUT=${PROFILE_OUT:-$BUILD/bench-profile}
REPS=1
source "$SRC/tests/netns/lib.sh"
ns_require_root
command -v perf >/dev/null || fail "needs perf (linux-perf)"
mkdir -p "$OUT"
peers_load() { cut -d' ' -f1-3 /proc/loadavg; }
pod_reset() { in_pod nft flush ruleset; in_pod iptables-nft -F OUTPUT 2>/dev/null || true; }
ns_topology
ns_add_host "$NET" 203.0.113.10 allowed.example
ip netns exec "$POD" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1
source "$HERE/peers/tls.sh"
tls_write_conf
ns_bg "$NET" "$NS_TMP/ngx-server.log" nginx -p "$NS_TMP/ngx-server" -c "$NS_TMP/ngx-server/nginx.conf" -e stderr \
  >/dev/null
ns_wait_port "$NET" 203.0.113.10 443
client=$BUILD/tests/bench/bench_tls_client
echo "date: $(date -u +%FT%TZ)  commit: $(git -C "$SRC" rev-parse --short HEAD)  load: $(peers_load)" | tee "$OUT/run.txt"
HELPER_CSV=$OUT/cpu.csv
echo "case,rep,conns,cpu_s,us_per_conn" > "$HELPER_CSV"
# Both helpers' CPU is counted over the measured run only: a warm-up first (its connections are not counted, so
# neither is its CPU; until 2026-12-05 the enforcer's warm-up CPU was, which inflated its figure by 7-12 us).
warm_up() {
  in_pod "$client" 203.0.113.10 443 allowed.example 2 1 > /dev/null || fail "warm-up $1"
  TLS_TICKS0=$(awk '{print $14 + $15}' "/proc/$TLS_HELPER/stat")
}
tls_case_up inspect
warm_up inspect
perf_pid=""
if [ "${PROFILE_PERF:-1}" == 1 ]; then  # PROFILE_PERF=0: CPU figures only (perf's DWARF stack copies cost the enforcer)
  perf record -q --call-graph dwarf,8192 -F 2000 -p "$TLS_HELPER" -o "$OUT/perf.data" 2> "$OUT/perf.log" &
  perf_pid=$!
  sleep 0.3
fi
read -r conns errors p50 p99 rate < <(in_pod "$client" 203.0.113.10 443 allowed.example "${PROFILE_THREADS:-8}" \
  "${PROFILE_SECS:-5}") || fail "tls client"
[ -z "$perf_pid" ] || { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
tls_case_down inspect 1 "$conns"
echo "$conns conns ($errors errors), p50 $p50 ms, p99 $p99 ms, $rate conn/s; load $(peers_load)" | tee -a "$OUT/run.txt"
echo "CPU per connection (user + sys, us): $(tail -1 "$HELPER_CSV" | cut -d, -f5)" | tee -a "$OUT/run.txt"
# The NFQUEUE floor of the same run, for the ratio (peers/tls.sh's nfq case: the same two packets, accepted at once)
tls_case_up nfq
warm_up nfq
read -r conns _ < <(in_pod "$client" 203.0.113.10 443 allowed.example "${PROFILE_THREADS:-8}" "${PROFILE_SECS:-5}") ||
  fail "tls client (nfq)"
tls_case_down nfq 1 "$conns"
pod_reset
echo "CPU per connection, NFQUEUE floor (us): $(tail -1 "$HELPER_CSV" | cut -d, -f5)" | tee -a "$OUT/run.txt"
[ -n "$perf_pid" ] || exit 0
perf report -i "$OUT/perf.data" --no-children --percent-limit 1 --stdio -g none 2>/dev/null |
  grep -v "^#" | grep -v "^$" | awk "NR <= 40" | tee "$OUT/flat.txt"
perf report -i "$OUT/perf.data" --children --percent-limit 3 --stdio -g none 2>/dev/null |
  grep -v "^#" | grep -v "^$" | awk "NR <= 40" > "$OUT/children.txt"
echo "flat: $OUT/flat.txt  inclusive: $OUT/children.txt  data: $OUT/perf.data"
