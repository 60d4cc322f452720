#!/usr/bin/env bash
# tests/netns/node_lib.sh — sourced by the node and gateway mode tests (tests/netns/gateway.sh,
# tests/kube/node_kube_netns.sh). On top of lib.sh: a router namespace between two client namespaces and a server
# namespace, every address from the documentation ranges, and the policy tests/data/policies/node-namespaces.yaml.
#
#   node_topology        $RT router (forwarding, no reverse-path filter: nfegress's own check must stop
#                        spoofed sources), $CA client "a" (192.0.2.10/28, 2001:db8:a::10/64),
#                        $CC client "c" (192.0.2.20 and 192.0.2.21 in 192.0.2.16/28, 2001:db8:c::20/64), $SV server
#                        (198.51.100.10/24, 203.0.113.10 on lo, 2001:db8:5::10/64); a recording server (tests/attack/
#                        sink.py, HTTP on every port below) on 203.0.113.10, 198.51.100.10 and 2001:db8:5::10
#   node_get NS SRC DST PORT PATH [HOST]   node_client.py in NS: prints response <status>/refused/reset/timeout
#   node_marker NAME     a unique marker
#   node_arrived M       the sink's files holding marker M (empty: 0 bytes of it reached the server)
#   expect_get WHAT NS SRC DST PORT WANT   GET /MARKER; WANT allowed (the server read it, 200) or denied (0 bytes at
#                        the server and the client refused/reset at once, or WANT 403: the client read a 403)
#   node_attack NS CAPS TECHNIQUE ARGS...  tests/attack/attack.py in NS as uid 1000 with exactly CAPS
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NODE_SRC=$(cd "$NS_LIB_DIR/../.." && pwd)
NODE_POLICY=$NS_POLICIES/node-namespaces.yaml
NODE_SINK=$NS_TMP/sink
NODE_PORTS=(80 8080 9000 9100)

node_topology() {
  ns_add RT rt
  ns_add CA ca
  ns_add CC cc
  ns_add SV sv
  ip link add ra netns "$RT" type veth peer name a0 netns "$CA" || fail "veth a"
  ip link add rc netns "$RT" type veth peer name c0 netns "$CC" || fail "veth c"
  ip link add rs netns "$RT" type veth peer name s0 netns "$SV" || fail "veth s"
  local n
  for n in ra rc rs; do ip -n "$RT" link set "$n" up; done
  ip -n "$CA" link set a0 up
  ip -n "$CC" link set c0 up
  ip -n "$SV" link set s0 up
  # rp_filter off: many hosts run loose (2) or none, and IPv6 has no such switch; the spoofing attacks below must
  # be stopped by nfegress's own reverse-path rule (netfilter/ruleset_node.cpp), not by this sysctl.
  ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.default.rp_filter=0 || fail "sysctl"
  for n in ra rc rs; do ip netns exec "$RT" sysctl -qw "net.ipv4.conf.$n.rp_filter=0"; done
  ip -n "$RT" addr add 192.0.2.1/28 dev ra
  ip -n "$RT" addr add 192.0.2.17/28 dev rc
  ip -n "$RT" addr add 198.51.100.1/24 dev rs
  ip -n "$RT" addr add 2001:db8:a::1/64 dev ra nodad
  ip -n "$RT" addr add 2001:db8:c::1/64 dev rc nodad
  ip -n "$RT" addr add 2001:db8:5::1/64 dev rs nodad
  ip -n "$RT" route add 203.0.113.0/24 via 198.51.100.10
  ip -n "$CA" addr add 192.0.2.10/28 dev a0
  ip -n "$CA" addr add 2001:db8:a::10/64 dev a0 nodad
  ip -n "$CA" route add default via 192.0.2.1
  ip -n "$CA" -6 route add default via 2001:db8:a::1
  ip -n "$CC" addr add 192.0.2.20/28 dev c0
  ip -n "$CC" addr add 192.0.2.21/28 dev c0
  ip -n "$CC" addr add 2001:db8:c::20/64 dev c0 nodad
  ip -n "$CC" route add default via 192.0.2.17
  ip -n "$CC" -6 route add default via 2001:db8:c::1
  ip -n "$SV" addr add 198.51.100.10/24 dev s0
  ip -n "$SV" addr add 2001:db8:5::10/64 dev s0 nodad
  ip -n "$SV" addr add 203.0.113.10/32 dev lo
  ip -n "$SV" route add default via 198.51.100.1
  ip -n "$SV" -6 route add default via 2001:db8:5::1
  # The client namespaces' kernels reset the TCP connections attack.py crafts by hand (source ports 40000-40999):
  # drop those resets there, as tests/attack/lib.sh does (this table only drops).
  for n in "$CA" "$CC"; do
    ip netns exec "$n" nft -f - <<'NFT' || fail "harness table"
table inet attack_harness {
  chain output {
    type filter hook output priority -300; policy accept;
    tcp sport 40000-40999 tcp flags & rst == rst counter drop
  }
}
NFT
  done
  mkdir -p "$NODE_SINK"
  chmod 755 "$NS_TMP"
  local args=(--dir "$NODE_SINK" --host-witness --udp 203.0.113.10:5353 --udp 198.51.100.10:5353) a p
  for a in 203.0.113.10 198.51.100.10 "[2001:db8:5::10]"; do
    for p in "${NODE_PORTS[@]}"; do args+=(--tcp "$a:$p"); done
  done
  ns_bg "$SV" "$NS_TMP/sink.log" python3 "$NODE_SRC/tests/attack/sink.py" "${args[@]}" >/dev/null
  ns_wait_port "$SV" 203.0.113.10 8080
  ns_wait_port "$SV" 198.51.100.10 9100
  # Every path works before anything enforces (the controls below rely on it).
  [[ $(node_get "$CC" 192.0.2.20 203.0.113.10 9100 /warmup) == "response HTTP/1.1 200"* ]] ||
    fail "no route from client c to the server"
  [[ $(node_get "$CA" 2001:db8:a::10 2001:db8:5::10 9100 /warmup) == "response HTTP/1.1 200"* ]] ||
    fail "no IPv6 route from client a to the server"
}

node_get() {  # node_get NS SRC DST PORT PATH [HOST]
  ip netns exec "$1" python3 "$NODE_SRC/tests/netns/node_client.py" "$2" "$3" "$4" "${6:-allowed.example}" "$5"
}

node_marker() { echo "mk$1x$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"; }

node_arrived() {
  sleep "${SETTLE:-0.3}"
  grep -rlaF "$1" "$NODE_SINK" 2>/dev/null | grep -v requests.log | xargs -r -n1 basename | sort | tr '\n' ' '
}

expect_get() {  # expect_get WHAT NS SRC DST PORT WANT [PATH-PREFIX]
  local what=$1 ns=$2 src=$3 dst=$4 port=$5 want=$6 prefix=${7:-}
  local m got at
  m=$(node_marker "$port")
  got=$(node_get "$ns" "$src" "$dst" "$port" "$prefix/$m")
  at=$(node_arrived "$m")
  case $want in
    allowed)
      [[ $got == "response HTTP/1.1 200"* && -n $at ]] || fail "$what: want allowed, client: '$got', server: '$at'"
      pass "$what: allowed ($got)" ;;
    denied)
      [ -z "$at" ] || fail "$what: want denied, but the server received the marker ($at)"
      [[ $got == refused || $got == reset ]] || fail "$what: denied, but the client saw '$got' (want a reset)"
      pass "$what: denied, 0 bytes at the server, client: $got" ;;
    403)
      [ -z "$at" ] || fail "$what: want a 403, but the server received the marker ($at)"
      [[ $got == "response HTTP/1.1 403"* ]] || fail "$what: want the forged 403, the client saw '$got'"
      pass "$what: 403 at the client, 0 bytes at the server" ;;
  esac
}

node_attack() {  # node_attack NS CAPS TECHNIQUE ARGS...
  local ns=$1 caps=$2; shift 2
  local set=-all amb=-all py
  [ "$caps" == none ] || { set="-all,+${caps//,/,+}"; amb="+${caps//,/,+}"; }
  for py in /usr/bin/python3 /usr/local/bin/python3; do [ -x "$py" ] && break; done
  echo "--- attack [$caps] $*" >> "$NS_TMP/attack.log"
  ip netns exec "$ns" setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps="$set" --ambient-caps="$amb" \
    --bounding-set="$set" "$py" "$NODE_SRC/tests/attack/attack.py" --caps "$caps" "$@" >> "$NS_TMP/attack.log" 2>&1 ||
    { tail -5 "$NS_TMP/attack.log" >&2; fail "attack.py failed: $*"; }
}
