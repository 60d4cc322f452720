#!/usr/bin/env bash
# tests/netns/gateway_small_writes.sh — issue 19 ("no stall") in gateway mode: `nfegress gateway` in the router
# namespace of tests/netns/node_lib.sh parks a forwarded flow's first segments, acknowledges the client from the
# router (the ACK routed to the client's veth), and after an allow sends the copies from the router's namespace with
# the client's address: the table's output chain queues them again (carriers) and the forwarded flow's conntrack
# entry takes them (same namespace). Real first flights (tests/data/first-flights) written 1, 7 and 400 bytes at a
# time with TCP_NODELAY, and without it, IPv4 and IPv6, through tests/e2e/small_writes_lib.sh: an allowed one
# reaches the server within SMALL_WRITES_MAX_MS (100) of its last write, a denied one leaks 0 bytes to the server.
# The 7-byte and denied cases run with the router SNATing the clients (as a node masquerades pod traffic): the
# copies must take the forwarded flow's conntrack entry and its NAT binding, and the ACKs toward the client (the
# server's address as source) must reach it untracked (conntrack holds no entry from the server's side).
# Prints `latency WHAT SIZE NODELAY MS` (docs/performance.md). The parking counters must move (not held).
source "$(dirname "$0")/node_lib.sh"
# HTTP on 8081 and TLS on 443 (small_writes_peer.py): node_topology's recording sink has 80, 8080, 9000 and 9100.
ns_require_root
BIN=${NFEGRESS_BIN:?}
command -v nft >/dev/null || fail "nft is missing"

DATA=$NODE_SRC/tests/data/first-flights
MAX_MS=${SMALL_WRITES_MAX_MS:-100}
WAIT=2  # s the server waits for a first byte (a denied flow sends none)
LOG=$NS_TMP/peer.log
: > "$LOG"
POLICY=$NS_TMP/policy.yaml
{
  yaml_network internet Deny 203.0.113.0/24 2001:db8:5::/64
  yaml_route TLSRoute tls internet:443 hostnames=openssl.tls.example,chromium.tls.example backend=self
  yaml_route HTTPRoute web internet:8081 hostnames=curl.http.example backend=self
} > "$POLICY"

node_topology
ns_bg "$SV" "$NS_TMP/peer.out" python3 "$NODE_SRC/tests/e2e/small_writes_peer.py" server "$LOG" "$WAIT" \
  203.0.113.10:443 203.0.113.10:8081 "[2001:db8:5::10]:443" "[2001:db8:5::10]:8081" >/dev/null
ns_wait_port "$SV" 203.0.113.10 8081
ns_wait_port "$SV" 2001:db8:5::10 443
GW=$(ns_bg "$RT" "$NS_TMP/gateway.log" "$BIN" gateway "$POLICY" --client 192.0.2.16/28=team-c \
  --client 2001:db8:c::/64=team-c --name-binding off)
for _ in $(seq 100); do grep -q ', ready' "$NS_TMP/gateway.log" && break; sleep 0.1; done
grep -q ', ready' "$NS_TMP/gateway.log" || { cat "$NS_TMP/gateway.log" >&2; fail "nfegress gateway did not start"; }
grep -q 'parking first-flight segments on,' "$NS_TMP/gateway.log" ||
  { cat "$NS_TMP/gateway.log" >&2; fail "gateway mode does not park"; }
pass "$(grep ', ready' "$NS_TMP/gateway.log")"

FAILED=""
sw_client() { ip netns exec "$CC" "$@"; }
source "$NODE_SRC/tests/e2e/small_writes_lib.sh"
snat_on() {
  ip netns exec "$RT" nft -f - <<'NFT' || fail "the router's SNAT table"
table inet harness_nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "rs" ip saddr 192.0.2.16/28 snat ip to 198.51.100.1
    oifname "rs" ip6 saddr 2001:db8:c::/64 snat ip6 to 2001:db8:5::1
  }
}
NFT
  echo "== the router SNATs the clients from now on"
}
for nd_size in "1 1" "1 400" "1 7" "0 7"; do
  read -r nodelay size <<< "$nd_size"
  [ "$nd_size" != "1 7" ] || snat_on
  hello=openssl.tls.bin  # 325 bytes; in 400-byte writes Chromium's 1,928 (more than one segment)
  [ "$size" == 400 ] && hello=chromium.tls.bin
  for SERVER in 203.0.113.10 2001:db8:5::10; do
    echo "== $SERVER, writes of $size bytes, TCP_NODELAY=$nodelay"
    one_case "$SERVER TLS allowed ($hello, $size-byte writes, nodelay=$nodelay)" "$hello" 443 "$size" "$nodelay" allow
    one_case "$SERVER HTTP allowed ($size-byte writes, nodelay=$nodelay)" curl.http.bin 8081 "$size" "$nodelay" allow
  done
done
for SERVER in 203.0.113.10 2001:db8:5::10; do
  one_case "$SERVER TLS denied (7-byte writes, nodelay=1)" python.tls.bin 443 7 1 deny
  one_case "$SERVER HTTP denied (1-byte writes, nodelay=0)" wget.http.bin 8081 1 0 deny
done
ct=$(ip netns exec "$RT" conntrack -L -p tcp --dport 443 2>/dev/null)
grep -q 'src=192.0.2.20 dst=203.0.113.10 .* src=203.0.113.10 dst=198.51.100.1 ' <<<"$ct" ||
  FAILED="$FAILED\n  no SNATed conntrack entry of a client flow: $ct"
n=$(ip netns exec "$RT" conntrack -L -p tcp -s 203.0.113.10 2>/dev/null | grep -c 'sport=443 ')
[[ $n -eq 0 ]] || FAILED="$FAILED\n  $n conntrack entries from the server's side: the enforcer's ACKs were tracked"
ns_stop "$GW" || fail "nfegress gateway did not stop"
counters=$(grep '^counters:' "$NS_TMP/gateway.log") || fail "no counters at exit"
for c in packets_parked parked_acks packets_reinjected; do
  n=$(grep -o " $c=[0-9]*" <<<"$counters" | cut -d= -f2)
  [[ ${n:-0} -gt 0 ]] || FAILED="$FAILED\n  counter $c is ${n:-absent}: the gateway did not park"
done
n=$(grep -o " reinject_errors=[0-9]*" <<<"$counters" | cut -d= -f2)
[[ ${n:-1} -eq 0 ]] || FAILED="$FAILED\n  reinject_errors=${n:-absent}: a copy, ACK or reset was refused"
echo "$counters" | tr ' ' '\n' | grep -E '^(packets_parked|parked_acks|packets_reinjected|parked_resends|reinject_errors)='
[ -z "$FAILED" ] || fail "$(echo -e "cases that failed:$FAILED")"
echo PASS
