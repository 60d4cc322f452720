#!/usr/bin/env bash
# tests/bench/node_scale.sh [BUILD_DIR] — benchmark driver (not a test): node mode at scale (issue 18). Root; only
# network namespaces this script creates (tests/netns/lib.sh), documentation addresses only.
# The policy: the 100k-CIDR global plan of tests/bench/gen_policy.py (1,000 EgressNetworks in linkerd-egress) and
# LOCAL_NS (default 4) namespaces with EgressNetworks of their own, so 20 namespaces make LOCAL_NS + 1 distinct
# plans. 200 pods, 10 per namespace (192.0.2.1-200).
#   node    `nfegress node` in one namespace, its pods listed from the fake API server (tests/kube): time from start
#           to "ready" (table programmed), the process's peak RSS, the kernel's unreclaimable slab growth
#   pods    20 pod-mode tables: `nfegress init --namespace nsNN` in 20 namespaces, one after the other: total time,
#           largest and summed peak RSS (GNU time), slab growth
#   churn   100 of the 200 pods replaced by 100 new ones (new addresses, same namespaces) in one API change, and
#           back: time from the change until the kernel's clients map holds it, and the node process's CPU for it
# RUNS (default 3) runs of each. Figures to stdout; docs/performance.md records them.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BIN=$BUILD/nfegress
RUNS=${RUNS:-3} LOCAL_NS=${LOCAL_NS:-4}
INIT_ROOT=$SRC
source "$SRC/tests/netns/lib.sh"
ns_require_root
[ -x /usr/bin/time ] || fail "needs GNU time"
cd "$NS_TMP"

python3 "$HERE/gen_policy.py" 1000 100 > policy.yaml
for k in $(seq 0 $((LOCAL_NS - 1))); do  # a namespace with its own EgressNetwork: a plan of its own
  { yaml_network "ns$(printf %02d "$k")/own" Deny "203.0.113.$((k * 16))/28"
    yaml_route TCPRoute "ns$(printf %02d "$k")/db" own:5432 backend=self; } >> policy.yaml
done
pods_json() {  # pods_json FIRST_ADDR_BLOCK: 200 pods; pods of index >= 100 come from BLOCK (192.0.2 or 198.51.100)
  python3 - "$1" <<'PY'
import json, sys
block = sys.argv[1]
pods = []
for i in range(200):
    ns = "ns%02d" % (i // 10)
    addr = "192.0.2.%d" % (i + 1) if i < 100 or block == "192.0.2" else "198.51.100.%d" % (i - 99)
    name = "p%03d" % i if addr.startswith("192.0.2.") else "q%03d" % i
    pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
                 "spec": {"nodeName": "node-1", "hostNetwork": False},
                 "status": {"phase": "Running", "podIPs": [{"ip": addr}]}})
print(json.dumps(pods))
PY
}
slab_kb() { awk '/^SUnreclaim:/ {print $2}' /proc/meminfo; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "date: $(date -u +%FT%TZ)  commit: $(git -C "$SRC" rev-parse --short HEAD)  $(nproc) CPUs  load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "policy: $(grep -c '^kind: EgressNetwork' policy.yaml) EgressNetworks, 20 namespaces ($((LOCAL_NS + 1)) plans), 200 pods"
ns_add NODE node
POD=$NODE  # kube_lib.sh runs the fake API server in $POD
source "$SRC/tests/kube/kube_lib.sh"
pods_json 192.0.2 > objects.json
kube_api_start "$NS_TMP/objects.json"

for run in $(seq "$RUNS"); do
  # ---- node mode: one table, 200 clients ----
  ip netns exec "$NODE" nft flush ruleset
  slab0=$(slab_kb) t0=$(date +%s%N)
  node_pid=$(ns_bg "$NODE" "$NS_TMP/node.log" "$BIN" node policy.yaml --node-name node-1 \
    --kubeconfig "$KUBECONFIG_FILE" --name-binding off --admin-addr 127.0.0.1:14191)
  for _ in $(seq 600); do grep -q ', ready' node.log && break; sleep 0.02; done
  grep -q ', ready' node.log || { tail -5 node.log >&2; fail "nfegress node did not become ready"; }
  ready_ms=$(ms_since "$t0")
  slab1=$(slab_kb)
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$node_pid/status")
  clients=$(ip netns exec "$NODE" nft list map inet nfegress clients4 | grep -c ' : goto ' || true)
  echo "node run $run: ready after $ready_ms ms, peak RSS $((hwm / 1024)) MB, kernel slab +$(((slab1 - slab0) / 1024)) MB, $clients client lines in clients4"
  # ---- churn: 100 pods replaced, then back ----
  for block in 198.51.100 192.0.2; do
    pods_json "$block" > objects.json
    perf_pid=""
    if [ -n "${PERF_CHURN:-}" ]; then  # PERF_CHURN=DIR: perf record of the node process during each change
      mkdir -p "$PERF_CHURN"
      perf record -q --call-graph dwarf,8192 -F 499 -p "$node_pid" -o "$PERF_CHURN/churn-$block.data" 2>/dev/null &
      perf_pid=$!; sleep 0.3
    fi
    c0=$(cpu_ticks "$node_pid") t0=$(date +%s%N)
    kill -HUP "$API_PID"
    want="198.51.100.100 "; [ "$block" == 192.0.2 ] && want="192.0.2.200 "
    ok=0
    for _ in $(seq 1000); do
      if grep -q "$want" <<<"$(ip netns exec "$NODE" nft list map inet nfegress clients4)"; then ok=1; break; fi
      sleep 0.01
    done
    [ "$ok" == 1 ] || fail "churn to $block never reached the kernel: $(tail -3 node.log)"
    ms=$(ms_since "$t0")
    sleep 0.3  # let the update finish before reading the CPU
    [ -z "$perf_pid" ] || { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
    echo "churn run $run: 100 pods replaced ($block) in the kernel after $ms ms, node CPU $(( ($(cpu_ticks "$node_pid") - c0) * 1000 / $(getconf CLK_TCK) )) ms; $(grep 'policy applied (pods)' node.log | tail -1 | sed 's/.*policy applied (pods)//' | cut -c1-120)"
  done
  ns_stop "$node_pid" || true
  ip netns exec "$NODE" nft flush ruleset

  # ---- pod mode: 20 tables in 20 namespaces ----
  slab0=$(slab_kb) t0=$(date +%s%N) rss_sum=0 rss_max=0
  for k in $(seq 0 19); do
    ns=ns$(printf %02d "$k")
    [ "$run" -gt 1 ] || ns_add "PODNS_$k" "p$k"
    var=PODNS_$k
    /usr/bin/time -f '%M' -o rss.txt ip netns exec "${!var}" "$BIN" init policy.yaml --namespace "$ns" \
      --name-binding off > init.log 2>&1 || { cat init.log >&2; fail "init $ns"; }
    rss=$(tail -1 rss.txt); rss_sum=$((rss_sum + rss)); [ "$rss" -le "$rss_max" ] || rss_max=$rss
  done
  total_ms=$(ms_since "$t0")
  slab1=$(slab_kb)
  echo "pods run $run: 20 tables in $total_ms ms, peak RSS max $((rss_max / 1024)) MB / sum $((rss_sum / 1024)) MB, kernel slab +$(((slab1 - slab0) / 1024)) MB"
  for k in $(seq 0 19); do var=PODNS_$k; ip netns exec "${!var}" nft flush ruleset; done
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
