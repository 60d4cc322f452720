#!/usr/bin/env bash
# tests/bench/dns_hold.sh [BUILD_DIR] — benchmark (not a test), issue 17: how long the DNS answer queue holds an
# answer. A resolver (dnsmasq, 192.0.2.254, in the net namespace; every name under bench.example answers
# 203.0.113.7) and COUNT (default 2000) sequential queries from the pod, timed by tests/bench/dns_rtt.py, in three
# set-ups: no nfegress table; `nfegress init --dns-servers 192.0.2.254` with no enforcer (the queue's bypass);
# and with `nfegress enforce` reading the queue (each answer parsed and learned before it is released). The
# difference of the third to the first is the time an answer is held. Namespaces of tests/netns/lib.sh only.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BIN=$BUILD/nfegress COUNT=${COUNT:-2000} REPS=${REPS:-3}
source "$SRC/tests/netns/lib.sh"
ns_require_root
ns_topology
ns_bg "$NET" "$NS_TMP/dnsmasq.log" dnsmasq --keep-in-foreground --log-facility=- --no-resolv --no-hosts \
  --listen-address=192.0.2.254 --bind-interfaces --pid-file= --user=root --address=/bench.example/203.0.113.7 \
  --cache-size=0 >/dev/null
sleep 0.5
echo "nameserver 192.0.2.254" > "/etc/netns/$POD/resolv.conf"
yaml_network all Deny > "$NS_TMP/policy.yaml"
yaml_route TLSRoute tls all:443 hostnames=api.bench.example >> "$NS_TMP/policy.yaml"
OPTS=(--namespace app --cluster-networks 192.0.2.0/24 --dns-servers 192.0.2.254)
echo "date: $(date -u +%FT%TZ)  commit: $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null)  load: $(cut -d' ' -f1-3 /proc/loadavg)  $(nproc) CPUs"
echo "case                 rep  p50_us  p99_us  max_us  answered/$COUNT"
run() {  # run CASE
  local rep r
  for rep in $(seq "$REPS"); do
    r=$(in_pod python3 "$HERE/dns_rtt.py" 192.0.2.254 "$COUNT" ".r$rep.$1.bench.example")
    printf '%-20s %3s  %s\n' "$1" "$rep" "$r"
  done
}
run no-table
in_pod "$BIN" init "$NS_TMP/policy.yaml" "${OPTS[@]}" > "$NS_TMP/init.log" 2>&1 || { cat "$NS_TMP/init.log" >&2; fail init; }
run table-no-enforcer
ENF=$(ns_bg "$POD" "$NS_TMP/enforce.log" "$BIN" enforce "$NS_TMP/policy.yaml" "${OPTS[@]}")
for i in $(seq 50); do grep -q ready "$NS_TMP/enforce.log" && break; sleep 0.1; done
run enforcer
ns_stop "$ENF"
grep -o 'dns_answers=[0-9]* dns_answers_learned=[0-9]*' "$NS_TMP/enforce.log" | sed 's/^/enforcer counters: /'
