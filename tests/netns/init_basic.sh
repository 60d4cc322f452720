#!/usr/bin/env bash
# tests/netns/init_basic.sh — `nfegress init` alone (no enforcer) decides on the wire, IPv4 and IPv6, with real
# sockets from the pod to real servers: TCP to a Deny network's port without routes is refused at once, a TCPRoute
# port and an Allow network connect, uncaptured and cluster-network destinations are untouched, UDP to Deny is
# dropped, IPv6 neighbour discovery passes a network-less Deny. Re-running init converges (the same table, byte for byte); a second policy replaces the first.
source "$(dirname "$0")/init_lib.sh"
init_need
ns_topology
for h in 203.0.113.10 203.0.113.200 198.51.100.8 2001:db8:ff::10 2001:db8:ff:1::10 2001:db8:c::8; do
  ns_add_host "$NET" "$h"
done
TCP=(203.0.113.10:80 203.0.113.10:5432 203.0.113.200:80 198.51.100.8:80 192.0.2.254:80
     [2001:db8:ff::10]:80 [2001:db8:ff::10]:5432 [2001:db8:ff:1::10]:80 [2001:db8:c::8]:80 [2001:db8:1::fe]:80)
UDP=(203.0.113.10:5353 203.0.113.200:5353 [2001:db8:ff::10]:5353 [2001:db8:ff:1::10]:5353)
ns_bg "$NET" "$NS_TMP/http.out" python3 "$INIT_ROOT/tests/netns/server.py" --log "$NS_TMP/http.log" "${TCP[@]}" >/dev/null
ns_bg "$NET" "$NS_TMP/udp.out" python3 "$PROBE" udp-echo "$NS_TMP/udp.log" "${UDP[@]}" >/dev/null
for hp in "${TCP[@]}"; do h=${hp%:*}; h=${h#[}; ns_wait_port "$NET" "${h%]}" "${hp##*:}"; done

# A Deny network owning 203.0.113.0/24 and 2001:db8:ff::/48 (TCPRoute on 5432), an Allow network inside it
# (smaller, so it wins for 203.0.113.128/25 and 2001:db8:ff:1::/64). 192.0.2.0/24 and 2001:db8:1::/64 are captured
# by nothing.
init_policy explicit < <(yaml_network deny Deny 203.0.113.0/24 2001:db8:ff::/48
  yaml_network open Allow 203.0.113.128/25 2001:db8:ff:1::/64
  yaml_route TCPRoute db deny:5432 backend=self)
# The same Deny network without `networks`: everything but the cluster networks.
init_policy global < <(yaml_network all Deny)
OPTS=(--namespace app --cluster-networks 198.51.100.0/24,2001:db8:c::/64)

echo "== before init everything connects (the refusals below come from nfegress)"
expect_tcp "no table: Deny port 80" connected 203.0.113.10 80
expect_tcp "no table: Deny port 80 (v6)" connected 2001:db8:ff::10 80
expect_udp "no table: UDP to Deny" reply 203.0.113.10 5353

echo "== init with explicit networks"
nfe init "$NS_TMP/explicit" "${OPTS[@]}" > "$NS_TMP/init.out" 2> "$NS_TMP/init.err" ||
  { cat "$NS_TMP/init.err" >&2; fail "nfegress init"; }
grep -q "programmed table inet nfegress" "$NS_TMP/init.out" || fail "init summary missing: $(cat "$NS_TMP/init.out")"
expect_eq "queue choice logged once" 1 "$(grep -c 'queue:' "$NS_TMP/init.err")"
for fam in 4 6; do
  if [ $fam == 4 ]; then D=203.0.113.10 A=203.0.113.200 U=192.0.2.254; else D=2001:db8:ff::10 A=2001:db8:ff:1::10 U=2001:db8:1::fe; fi
  expect_tcp "v$fam Deny network, port without routes: refused at once" refused $D 80
  expect_tcp "v$fam Deny network, TCPRoute port" connected $D 5432
  expect_tcp "v$fam Allow network" connected $A 80
  expect_tcp "v$fam uncaptured destination untouched" connected $U 80
  expect_udp "v$fam UDP to Deny dropped" dropped $D 5353
  expect_udp "v$fam UDP to Allow" reply $A 5353
done
grep -q '"listen": "203.0.113.10:80".*"bytes": [1-9]' "$NS_TMP/http.log" &&
  fail "the server behind the Deny port received bytes"

echo "== re-running init converges"
in_pod nft list table inet nfegress > "$NS_TMP/before.nft" 2>/dev/null || fail "nft list"
nfe init "$NS_TMP/explicit" "${OPTS[@]}" >/dev/null 2>&1 || fail "second init"
in_pod nft list table inet nfegress > "$NS_TMP/after.nft" 2>/dev/null || fail "nft list"
cmp -s "$NS_TMP/before.nft" "$NS_TMP/after.nft" || { diff "$NS_TMP/before.nft" "$NS_TMP/after.nft" >&2; fail "second init changed the table"; }
pass "second init: same table"
nfe status "$NS_TMP/explicit" "${OPTS[@]}" > "$NS_TMP/status.out" || { cat "$NS_TMP/status.out" >&2; fail "status after init"; }
pass "status: in sync"

echo "== init with a Deny network without networks: cluster networks untouched"
nfe init "$NS_TMP/global" "${OPTS[@]}" >/dev/null 2>&1 || fail "init global"
# ::/0 is captured, so the pod's neighbour discovery (solicited-node multicast) is too: it must still pass, or
# no IPv6 destination is reachable at all once the neighbour cache is empty.
in_pod ip -6 neigh flush all
expect_tcp "v4 cluster network untouched" connected 198.51.100.8 80
expect_tcp "v6 cluster network untouched" connected 2001:db8:c::8 80
expect_tcp "v4 former Allow network now denied" refused 203.0.113.200 80
expect_tcp "v6 former uncaptured destination now denied" refused 2001:db8:1::fe 80
expect_tcp "v4 former TCPRoute port now denied" refused 203.0.113.10 5432
expect_udp "v4 UDP to Deny dropped" dropped 203.0.113.200 5353
echo "PASS"
