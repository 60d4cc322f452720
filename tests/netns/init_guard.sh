#!/usr/bin/env bash
# tests/netns/init_guard.sh — the kernel mechanics of issue 16 that `nfegress init` programs, in real namespaces
# with real sockets (the attacker suite is tests/attack/; this proves the mechanisms one by one):
#   - table inet nfegress and table netdev nfegress (the egress guard) are programmed in ONE transaction: a failing
#     init creates neither and leaves both as they were; `reset` removes both;
#   - the guard drops an AF_PACKET frame written by an unprivileged user holding only CAP_NET_RAW, while the pod's
#     own traffic (TCP, UDP, ARP, IPv6 neighbour discovery) and a DHCPv4 client broadcast pass; without the guard
#     the same frame arrives;
#   - with net.ipv4.ip_forward=1 a frame injected on lo and forwarded is dropped by the forward chain; without
#     that chain it arrives;
#   - a conntrack entry reused in CLOSE with the ALLOW bit does not let a new connection skip inspection: the SYN
#     clears the bit (`conntrack -L`), the new first flight goes to the (absent, fail-closed) enforcer; without
#     the SYN rule the same flight reaches the server.
# Every "blocked" is asserted on what the server received (a unique marker per attempt), not on the client.
source "$(dirname "$0")/init_lib.sh"
init_need
command -v conntrack >/dev/null || fail "conntrack (conntrack-tools) is missing"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
TOOLS=$INIT_ROOT/tests/netns/guard_tools.py
ns_topology
ns_add_host "$NET" 203.0.113.10
ns_add_host "$NET" 198.51.100.10
ns_bg "$NET" "$NS_TMP/sink.out" python3 "$TOOLS" sink "$NS_TMP/sink.log" 198.51.100.10:5353 203.0.113.10:5353 \
  0.0.0.0:67 0.0.0.0:5354 >/dev/null
ns_bg "$NET" "$NS_TMP/reuse.out" python3 "$TOOLS" reuse-server 203.0.113.10 443 "$NS_TMP/reuse.log" >/dev/null
ns_wait_port "$NET" 198.51.100.10 5353
ns_wait_port "$NET" 203.0.113.10 443
touch "$NS_TMP/sink.log" "$NS_TMP/reuse.log"
init_policy deny < <(yaml_network app/deny Deny 203.0.113.0/24
  yaml_route TLSRoute app/tls deny:443 hostnames=allowed.example)
OPTS=(--namespace app --cluster-networks 198.51.100.0/24)
NETMAC=$(ip -n "$NET" -o link show vn0 | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
[ -n "$NETMAC" ] || fail "no MAC address for vn0"
PY=/usr/bin/python3  # not a per-user shim: uid 1000 must be able to run it
[ -x "$PY" ] || PY=$(command -v python3)
attacker() {  # an unprivileged user with exactly CAP_NET_RAW, as in a default container
  in_pod setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=+net_raw --ambient-caps=+net_raw "$PY" "$@"
}
seen() { grep -c -- "$1" "$NS_TMP/sink.log"; }
counter() {  # counter FAMILY CHAIN: packets of the chain's counted drop
  in_pod nft list chain "$1" nfegress "$2" 2>/dev/null | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | head -1
}

echo "== one transaction for both tables"
QUEUE=compat
if in_pod "$BIN" init "$NS_TMP/deny" "${OPTS[@]}" --queue-impl native >/dev/null 2>"$NS_TMP/native.err"; then
  QUEUE=native  # this kernel has the native queue expression: no half-way failure to provoke that way
else
  in_pod nft list table netdev nfegress >/dev/null 2>&1 && fail "a failed init left table netdev nfegress"
  in_pod nft list table inet nfegress >/dev/null 2>&1 && fail "a failed init left table inet nfegress"
  pass "init failing at the queue rule (inet table) created neither table"
fi
nfe init "$NS_TMP/deny" "${OPTS[@]}" --queue-impl "$QUEUE" > "$NS_TMP/init.out" 2>&1 || { cat "$NS_TMP/init.out" >&2; fail "init"; }
grep -q "egress guard on" "$NS_TMP/init.out" || fail "init does not say the guard is on: $(cat "$NS_TMP/init.out")"
in_pod nft list table netdev nfegress > "$NS_TMP/guard.nft" || fail "no table netdev nfegress after init"
grep -q 'hook egress device "vp0"' "$NS_TMP/guard.nft" || fail "guard not on vp0: $(cat "$NS_TMP/guard.nft")"
in_pod nft list table inet nfegress > "$NS_TMP/inet.nft" 2>/dev/null || fail "no table inet nfegress after init"
pass "both tables programmed (guard on vp0, queue $QUEUE)"
nfe status "$NS_TMP/deny" "${OPTS[@]}" --queue-impl "$QUEUE" > "$NS_TMP/status.out" 2>&1 ||
  fail "status not in sync: $(cat "$NS_TMP/status.out")"
grep -q "egress guard (table netdev nfegress): on vp0" "$NS_TMP/status.out" || fail "status: $(cat "$NS_TMP/status.out")"
pass "status: in sync, guard on vp0"
if [ "$QUEUE" == compat ]; then
  nfe init "$NS_TMP/deny" "${OPTS[@]}" --no-egress-guard --queue-impl native >/dev/null 2>&1 && fail "native init succeeded"
  in_pod nft list table netdev nfegress | cmp -s - "$NS_TMP/guard.nft" || fail "a failed init changed the guard"
  pass "an init failing in the inet table leaves the guard as it was (it would have removed it)"
fi

echo "== the guard: a packet socket's frame (CAP_NET_RAW, uid 1000) is dropped, the pod's traffic passes"
m=guard-$RANDOM
out=$(attacker "$TOOLS" frame vp0 "$NETMAC" 192.0.2.1 198.51.100.10 5353 "$m")
# The egress hook's drop comes back to the sender as ENOBUFS (dev_queue_xmit's NET_XMIT_DROP); what counts is the server.
[[ $out == sent* || $out == error:ENOBUFS ]] || fail "the attacker could not send: $out"
m6=guard-deny-$RANDOM
attacker "$TOOLS" frame vp0 "$NETMAC" 192.0.2.1 203.0.113.10 5353 "$m6" >/dev/null
sleep 0.5
expect_eq "frame to an uncaptured address (${out}): server received" 0 "$(seen "$m")"
expect_eq "frame to the Deny network: server received" 0 "$(seen "$m6")"
[ "$(counter netdev egress)" -ge 2 ] || fail "guard drop counter: $(counter netdev egress)"
pass "guard counted $(counter netdev egress) dropped frame(s)"
u=udp-$RANDOM
in_pod python3 -c "import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), ('198.51.100.10', 5353))" "$u"
sleep 0.3
expect_eq "a UDP socket's datagram (routed): server received" 1 "$(seen "$u")"
expect_tcp "TCP through the guard" connected 198.51.100.10 5353
# With the neighbour cache flushed, a reset from the gateway's closed port needs ARP / neighbour discovery first.
ip -n "$POD" neigh flush dev vp0
expect_tcp "ARP through the guard (neighbours flushed)" refused 192.0.2.254 9
ip -n "$POD" -6 neigh flush dev vp0
expect_tcp "IPv6 neighbour discovery through the guard and the bounded ND rules" refused 2001:db8:1::fe 9
# The DHCPv4 client broadcast a client without an address writes to a packet socket passes; a broadcast to any
# other port does not.
m=dhcp-$RANDOM
attacker "$TOOLS" frame vp0 ff:ff:ff:ff:ff:ff 0.0.0.0 255.255.255.255 67 "$m" --sport 68 >/dev/null
m2=bcast-$RANDOM
attacker "$TOOLS" frame vp0 ff:ff:ff:ff:ff:ff 0.0.0.0 255.255.255.255 5354 "$m2" --sport 68 >/dev/null
sleep 0.5
expect_eq "DHCPv4 client broadcast (68 -> 255.255.255.255:67) from a packet socket: server received" 1 "$(seen "$m")"
expect_eq "the same broadcast to port 5354: server received" 0 "$(seen "$m2")"
nfe init "$NS_TMP/deny" "${OPTS[@]}" --queue-impl "$QUEUE" --no-egress-guard >/dev/null 2>&1 || fail "init --no-egress-guard"
in_pod nft list table netdev nfegress >/dev/null 2>&1 && fail "--no-egress-guard left table netdev nfegress"
m=guard-off-$RANDOM
attacker "$TOOLS" frame vp0 "$NETMAC" 192.0.2.1 203.0.113.10 5353 "$m" >/dev/null
sleep 0.5
expect_eq "control, --no-egress-guard (the old ruleset): the frame to the Deny network arrives" 1 "$(seen "$m")"
nfe init "$NS_TMP/deny" "${OPTS[@]}" --queue-impl "$QUEUE" >/dev/null 2>&1 || fail "init"

echo "== forwarding: a frame injected on lo and forwarded (ip_forward=1) is dropped"
in_pod sysctl -qw net.ipv4.ip_forward=1
# A source that is not the pod's own (a local source on lo is a martian): the kernel routes it out of vp0.
m=fwd-$RANDOM
out=$(attacker "$TOOLS" frame lo 00:00:00:00:00:00 192.0.2.77 203.0.113.10 5353 "$m")
[[ $out == sent* ]] || fail "the attacker could not write to lo: $out"
sleep 0.5
expect_eq "lo-injected frame to the Deny network: server received" 0 "$(seen "$m")"
[ "$(counter inet forward)" -ge 1 ] || fail "forward chain counter: $(counter inet forward)"
pass "forward chain counted $(counter inet forward) frame(s) from lo"
in_pod nft flush chain inet nfegress forward
m=fwd-off-$RANDOM
attacker "$TOOLS" frame lo 00:00:00:00:00:00 192.0.2.77 203.0.113.10 5353 "$m" >/dev/null
sleep 0.5
expect_eq "control, forward chain flushed (the old ruleset): the injected frame arrives" 1 "$(seen "$m")"
in_pod sysctl -qw net.ipv4.ip_forward=0
nfe init "$NS_TMP/deny" "${OPTS[@]}" --queue-impl "$QUEUE" >/dev/null 2>&1 || fail "init"

echo "== a conntrack entry reused in CLOSE with ALLOW: the new connection is inspected"
# No enforcer listens and there is no bypass: an inspected first flight is dropped (fail closed).
m=reuse-$RANDOM
in_pod python3 "$TOOLS" reuse-client 192.0.2.1 41000 203.0.113.10 443 0x00100000 "$m" > "$NS_TMP/reuse1.out" 2>&1
cat "$NS_TMP/reuse1.out"
grep -q "mark-before 0x100000" "$NS_TMP/reuse1.out" || fail "could not set the ALLOW mark: $(cat "$NS_TMP/reuse1.out")"
grep -q "entry-after-reset CLOSE" "$NS_TMP/reuse1.out" || fail "the entry is not in CLOSE after the reset"
grep -q "^conn [0-9]* first" "$NS_TMP/reuse.log" || fail "the allowed first connection did not reach the server"
# Cleared, then (with the SYN-ACK anchor, where the kernel has `ct id`) PENDING: both bits, never ALLOW alone.
want=0x0; grep -q "set first" <<<"$(in_pod nft list table inet nfegress)" && want=0x300000
expect_eq "ct mark after the new SYN (conntrack -L)" "mark-after-syn $want" "$(grep mark-after-syn "$NS_TMP/reuse1.out")"
expect_eq "the new connection's first flight: server received" 0 "$(grep -c -- "$m" "$NS_TMP/reuse.log")"
h=$(in_pod nft -a list chain inet nfegress output 2>/dev/null | sed -n 's/.*a SYN starts undecided.*# handle \([0-9]*\)/\1/p')
[ -n "$h" ] || fail "no SYN rule in the output chain"
in_pod nft delete rule inet nfegress output handle "$h"
m=reuse-off-$RANDOM
in_pod python3 "$TOOLS" reuse-client 192.0.2.1 41001 203.0.113.10 443 0x00100000 "$m" > "$NS_TMP/reuse2.out" 2>&1
expect_eq "control, without the SYN rule (the old ruleset): ct mark after the SYN" "mark-after-syn 0x100000" \
  "$(grep mark-after-syn "$NS_TMP/reuse2.out")"
expect_eq "control, without the SYN rule: the new first flight arrives" 1 "$(grep -c -- "$m" "$NS_TMP/reuse.log")"

echo "== reset removes both tables"
nfe init "$NS_TMP/deny" "${OPTS[@]}" --queue-impl "$QUEUE" >/dev/null 2>&1 || fail "init"
nfe reset > "$NS_TMP/reset.out" 2>&1 || fail "reset: $(cat "$NS_TMP/reset.out")"
in_pod nft list table inet nfegress >/dev/null 2>&1 && fail "table inet nfegress left after reset"
in_pod nft list table netdev nfegress >/dev/null 2>&1 && fail "table netdev nfegress left after reset"
pass "reset: $(cat "$NS_TMP/reset.out")"
echo "PASS"
