#!/usr/bin/env bash
# tests/bench/enforcer_netns.sh — benchmark script (not a test): connect-to-first-byte latency (p50/p99) and
# sequential new TLS connections per second through the pod's ruleset, once with port 443 inspected by
# `nfegress enforce` (TLSRoute: the ClientHello goes to userspace) and once with the same EgressNetwork deciding
# port 443 in the kernel (no route: trafficPolicy Allow). Server: openssl s_server -www in the internet namespace.
# usage (root): NFEGRESS_BIN=build/nfegress NFEGRESS_SOURCE_DIR=. bash tests/bench/enforcer_netns.sh [N]
source "${NFEGRESS_SOURCE_DIR}/tests/netns/lib.sh"
N=${1:-500}
HERE="${NFEGRESS_SOURCE_DIR}/tests/bench"
ns_require_root
ns_topology
ns_add_host "$NET" 203.0.113.10 allowed.example
CERT=$NS_TMP/cert.pem KEY=$NS_TMP/key.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=allowed.example \
  -addext "subjectAltName=DNS:allowed.example" -keyout "$KEY" -out "$CERT" 2>/dev/null || fail "openssl req"
ns_bg "$NET" "$NS_TMP/s_server.log" openssl s_server -accept 203.0.113.10:443 -cert "$CERT" -key "$KEY" -www -quiet \
  >/dev/null
ns_wait_port "$NET" 203.0.113.10 443

# inspect: deny all but TLS to SNI allowed.example (443; the file's HTTP route on 80 is unused here).
cp "$NS_POLICIES/allowed-example.yaml" "$NS_TMP/inspect.yaml" || fail "policy file"
yaml_network all Allow > "$NS_TMP/kernel.yaml"  # kernel: the same EgressNetwork, Allow, no route

run() {  # run NAME POLICY [enforce]
  in_pod "$NFEGRESS_BIN" init "$NS_TMP/$2.yaml" --namespace app --cluster-networks 198.51.100.0/24 >/dev/null 2>&1 ||
    fail "nfegress init $2"
  local enf=""
  if [ "${3:-}" == enforce ]; then
    enf=$(ns_bg "$POD" "$NS_TMP/enforce.log" "$NFEGRESS_BIN" enforce "$NS_TMP/$2.yaml" --namespace app \
      --cluster-networks 198.51.100.0/24)
    for i in $(seq 50); do grep -q ready "$NS_TMP/enforce.log" && break; sleep 0.1; done
  fi
  in_pod python3 "$HERE/enforcer_client.py" 203.0.113.10 443 allowed.example "$CERT" 20 >/dev/null  # warm-up
  read -r p50 p99 rate < <(in_pod python3 "$HERE/enforcer_client.py" 203.0.113.10 443 allowed.example "$CERT" "$N")
  printf '%-28s p50 %7s ms   p99 %7s ms   %6s conn/s\n' "$1" "$p50" "$p99" "$rate"
  if [ -n "$enf" ]; then ns_stop "$enf"; grep '^counters:' "$NS_TMP/enforce.log"; fi
}
echo "N=$N sequential TLS connections (connect, handshake, GET /, first byte), $(nproc) CPUs"
run "kernel decides (no inspect)" kernel
run "inspected by the enforcer" inspect enforce
run "kernel decides (again)" kernel
