#!/usr/bin/env bash
# tests/netns/gateway.sh — gateway mode (issue 18) on the wire: `nfegress gateway` in a router namespace between two
# client namespaces and a server (tests/netns/node_lib.sh), clients given by --client and a clients file. Each
# client's traffic is judged by its own namespace's policy (tests/data/policies/node-namespaces.yaml: team-a's own
# EgressNetworks, the global ones for team-c, a route scoped to team-b); denied destinations receive 0 bytes and the
# client is reset at once (a denied first HTTP request reads the forged 403, sent from the router); a source that is
# no client's is not judged unless it is inside --deny-unknown (then 0 bytes, reset, counted); a client with NET_ADMIN and NET_RAW in its own namespace (SO_MARK, packet-socket
# frames, raw IP, another client's source address, its ruleset flushed) still gets 0 bytes through; the enforcer
# stopped leaves queued flows dropped (fail-closed).
source "$(dirname "$0")/node_lib.sh"
ns_require_root
BIN=${NFEGRESS_BIN:?}
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
command -v nft >/dev/null || fail "nft is missing"

# Clients from the command line: errors name the file and line, overlaps both places.
printf '# gateway clients\n192.0.2.0/28=team-a\n2001:db8:a::/64=team-a\n' > "$NS_TMP/clients.txt"
printf '192.0.2.0/28=team-a\nnot-a-client\n192.0.2.4/30=team-x\n' > "$NS_TMP/bad.txt"
out=$("$BIN" gateway "$NODE_POLICY" --clients-file "$NS_TMP/bad.txt" --export 2>&1) && fail "a bad clients file was taken"
[[ $out == *"bad.txt:2: 'not-a-client' is not CIDR=NAMESPACE"* ]] || fail "error without file and line: $out"
[[ $out == *"bad.txt:3: 192.0.2.4/30=team-x overlaps 192.0.2.0/28=team-a (${NS_TMP}/bad.txt:1)"* ]] ||
  fail "overlap not reported with both places: $out"
pass "clients file errors name the file and line"
CLIENTS=(--clients-file "$NS_TMP/clients.txt" --client 192.0.2.20=team-c --client 192.0.2.21=team-b
         --client 2001:db8:c::/64=team-c)
# --deny-unknown 192.0.2.24/29: in the client subnet, no client's (192.0.2.22 stays outside it: not judged).
CLIENTS+=(--deny-unknown 192.0.2.24/29)
"$BIN" gateway "$NODE_POLICY" "${CLIENTS[@]}" --export --queue-impl compat > "$NS_TMP/export.nft" 2>/dev/null ||
  fail "export"
grep -q '192.0.2.0/28 : goto ns_team-a' "$NS_TMP/export.nft" || fail "export lacks the clients map"
grep -q 'ip saddr @unknown4 counter goto deny' "$NS_TMP/export.nft" || fail "export lacks the --deny-unknown rule"
out=$("$BIN" gateway "$NODE_POLICY" "${CLIENTS[@]}" --deny-unknown 192.0.2.300/24 --export 2>&1) &&
  fail "a bad --deny-unknown was taken"
[[ $out == *"--deny-unknown: '192.0.2.300/24' is not a CIDR"* ]] || fail "bad --deny-unknown error: $out"

node_topology
GW=$(ns_bg "$RT" "$NS_TMP/gateway.log" "$BIN" gateway "$NODE_POLICY" "${CLIENTS[@]}" --name-binding off)
for i in $(seq 100); do grep -q ', ready' "$NS_TMP/gateway.log" && break; sleep 0.1; done
grep -q ', ready' "$NS_TMP/gateway.log" || { cat "$NS_TMP/gateway.log" >&2; fail "nfegress gateway did not start"; }
pass "nfegress gateway started: $(grep ', ready' "$NS_TMP/gateway.log")"
ip netns exec "$RT" "$BIN" status > "$NS_TMP/status.txt" 2>&1 || { cat "$NS_TMP/status.txt"; fail "status"; }
grep -q 'node mode: 5 client(s), 3 plan(s)' "$NS_TMP/status.txt" || { cat "$NS_TMP/status.txt"; fail "status: node mode"; }
grep -q 'deny-unknown: 1 range(s)' "$NS_TMP/status.txt" || { cat "$NS_TMP/status.txt"; fail "status: deny-unknown"; }
# (not a pipe into grep -q: under pipefail, nft killed by SIGPIPE after an early match would fail the check)
grep -q '192.0.2.21 : goto ns_team-b' <<<"$(ip netns exec "$RT" nft list map inet nfegress clients4)" ||
  fail "the clients map is not programmed"

# Each client by its own namespace's policy.
expect_get "team-c (global): TCPRoute 8080" "$CC" 192.0.2.20 203.0.113.10 8080 allowed
expect_get "team-a (own EgressNetwork, Deny): 8080" "$CA" 192.0.2.10 203.0.113.10 8080 denied
expect_get "team-a: its own TCPRoute 9100" "$CA" 192.0.2.10 203.0.113.10 9100 allowed
expect_get "team-c: 9100 is team-a's route only" "$CC" 192.0.2.20 203.0.113.10 9100 denied
expect_get "team-a: 198.51.100.0/24 not captured for it" "$CA" 192.0.2.10 198.51.100.10 9100 allowed
expect_get "team-c: 198.51.100.0/24 captured (global, Deny)" "$CC" 192.0.2.20 198.51.100.10 9100 denied
expect_get "team-b: its scoped TCPRoute 9000" "$CC" 192.0.2.21 203.0.113.10 9000 allowed
expect_get "team-c: team-b's route is not team-c's" "$CC" 192.0.2.20 203.0.113.10 9000 denied
expect_get "team-a IPv6: not captured for it" "$CA" 2001:db8:a::10 2001:db8:5::10 9100 allowed
expect_get "team-c IPv6: global Deny" "$CC" 2001:db8:c::20 2001:db8:5::10 9100 denied
expect_get "team-c IPv6: TCPRoute 8080" "$CC" 2001:db8:c::20 2001:db8:5::10 8080 allowed
# Decided by the enforcer (HTTPRoute GET allowed.example/get on 80): allowed, and the 403 forged from the router.
expect_get "team-c HTTP /get (enforcer)" "$CC" 192.0.2.20 203.0.113.10 80 allowed /get
expect_get "team-c HTTP /post (enforcer: 403)" "$CC" 192.0.2.20 203.0.113.10 80 403 /post
expect_get "team-a HTTP on 80 (its network, no route)" "$CA" 192.0.2.10 203.0.113.10 80 denied /get
log_wait "$NS_TMP/gateway.log" '"namespace":"team-c"'
grep -q '"namespace":"team-c"' "$NS_TMP/gateway.log" || fail "the decision log does not name team-c"
# Not a client: not judged (documented).
ip -n "$CC" addr add 192.0.2.22/28 dev c0
expect_get "192.0.2.22 is no client: not judged" "$CC" 192.0.2.22 203.0.113.10 9100 allowed
# A source inside --deny-unknown that is no client (a pod the watch has not delivered yet): denied, even where
# every client may go (8080 is allowed for team-c), and counted.
ip -n "$CC" addr add 192.0.2.25/28 dev c0
expect_get "192.0.2.25: --deny-unknown, no client: 8080" "$CC" 192.0.2.25 203.0.113.10 8080 denied
expect_get "192.0.2.25: --deny-unknown, no client: 9100" "$CC" 192.0.2.25 203.0.113.10 9100 denied
n=$(ip netns exec "$RT" nft list chain inet nfegress forward | sed -n 's/.*@unknown4 counter packets \([0-9]*\).*/\1/p')
[[ ${n:-0} -gt 0 ]] || fail "the --deny-unknown rule counted nothing"
pass "--deny-unknown counted $n packet(s)"

# The client holds NET_ADMIN and NET_RAW in its own namespace.
RMAC=$(ip -n "$RT" -br link show rc | awk '{print $3}')
m=$(node_marker mark)
node_attack "$CC" net_admin,net_raw --marker "$m" tcp 203.0.113.10 9100 --mark 0x00100000
[ -z "$(node_arrived "$m")" ] || fail "SO_MARK ALLOW got through"
m=$(node_marker pass)
node_attack "$CC" net_admin,net_raw --marker "$m" tcp 203.0.113.10 9100 --mark 0x00300000
[ -z "$(node_arrived "$m")" ] || fail "SO_MARK ALLOW|DENY got through"
pass "forged marks (SO_MARK ALLOW, both bits): 0 bytes"
m=$(node_marker pktctl)
node_attack "$CC" net_raw --marker "$m" packet c0 "$RMAC" tcp 192.0.2.20 203.0.113.10 --port 8080
[ -n "$(node_arrived "$m")" ] || fail "control: a packet-socket TCP connection to an allowed port did not arrive"
m=$(node_marker pkt)
node_attack "$CC" net_raw --marker "$m" packet c0 "$RMAC" tcp 192.0.2.20 203.0.113.10 --port 9100
[ -z "$(node_arrived "$m")" ] || fail "a packet-socket TCP connection to a denied port got through"
m=$(node_marker pktudp)
node_attack "$CC" net_raw --marker "$m" packet c0 "$RMAC" udp 192.0.2.20 203.0.113.10 --port 5353
[ -z "$(node_arrived "$m")" ] || fail "packet-socket UDP to a Deny network got through"
pass "packet-socket frames (TCP connection by hand, UDP): 0 bytes; the control arrived"
m=$(node_marker rawctl)
node_attack "$CC" net_raw --marker "$m" raw udp 192.0.2.22 198.51.100.10 --port 5353
[ -n "$(node_arrived "$m")" ] || fail "control: raw UDP from a non-client address did not arrive"
m=$(node_marker spoof)
node_attack "$CC" net_raw --marker "$m" raw udp 192.0.2.5 198.51.100.10 --port 5353
[ -z "$(node_arrived "$m")" ] || fail "raw UDP with team-a's source address (allowed for team-a) got through"
# A source that is nobody's (not a client, not inside --deny-unknown) would not be judged at all: forged from a
# client's link, it must still not leave (IPv6 has no rp_filter; the router's IPv4 rp_filter is off).
m=$(node_marker spoof4)
node_attack "$CC" net_raw --marker "$m" raw udp 203.0.113.99 198.51.100.10 --port 5353
[ -z "$(node_arrived "$m")" ] || fail "raw UDP with a foreign IPv4 source (no client's: unjudged) got through"
m=$(node_marker spoof6ctl)
node_attack "$CA" net_raw --marker "$m" raw udp 2001:db8:a::10 2001:db8:5::10 --port 5353
[ -n "$(node_arrived "$m")" ] || fail "control: raw IPv6 UDP from team-a's own address did not arrive"
m=$(node_marker spoof6)
node_attack "$CA" net_raw --marker "$m" raw udp 2001:db8:ffff::99 2001:db8:5::10 --port 5353
[ -z "$(node_arrived "$m")" ] || fail "raw UDP with a foreign IPv6 source (no client's: unjudged) got through"
m=$(node_marker spoof6c)
node_attack "$CA" net_raw --marker "$m" raw udp 2001:db8:c::20 2001:db8:5::10 --port 5353
[ -z "$(node_arrived "$m")" ] || fail "raw IPv6 UDP with team-c's source address got through"
n=$(ip netns exec "$RT" nft list chain inet nfegress forward | sed -n 's/.*fib saddr . iif oif missing counter packets \([0-9]*\).*/\1/p')
[[ ${n:-0} -ge 4 ]] || fail "the reverse-path rule counted ${n:-nothing}, not the 4 forged packets"
m=$(node_marker raw)
node_attack "$CC" net_raw --marker "$m" raw tcp 192.0.2.20 203.0.113.10 --port 9100
[ -z "$(node_arrived "$m")" ] || fail "raw IP TCP to a denied port got through"
pass "raw IP (TCP by hand; another client's or nobody's source address, IPv4 and IPv6, dropped by nfegress's reverse-path rule): 0 bytes"
ip netns exec "$CC" setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all,+net_admin \
  --ambient-caps=+net_admin --bounding-set=-all,+net_admin nft flush ruleset || fail "flush as uid 1000 + NET_ADMIN"
[ -z "$(ip netns exec "$CC" nft list ruleset)" ] || fail "the client's ruleset is not empty after the flush"
expect_get "team-c after flushing its own ruleset: 9100" "$CC" 192.0.2.20 203.0.113.10 9100 denied
expect_get "team-c after flushing its own ruleset: HTTP /post" "$CC" 192.0.2.20 203.0.113.10 80 403 /post

# Fail-closed: the enforcer stopped, an inspected flow's bytes are dropped (the kernel still decides the rest).
ns_stop "$GW" || fail "nfegress gateway did not stop"
m=$(node_marker closed)
got=$(node_get "$CC" 192.0.2.20 203.0.113.10 80 "/get/$m")
[ -z "$(node_arrived "$m")" ] || fail "an inspected flow passed with no enforcer"
pass "no enforcer: the inspected flow is held and dropped ($got), 0 bytes"
expect_get "no enforcer: the kernel still denies 9100" "$CC" 192.0.2.20 203.0.113.10 9100 denied
grep -q '^counters:' "$NS_TMP/gateway.log" || fail "no counters at exit"

# status PATHS against the node table (issue 18; the table stays after the enforcer stops): the gateway's clients
# given, everything is compared; without them, the clients are read back from the table and its clients maps are
# not compared (a node's pods are not known offline).
st() { ip netns exec "$RT" "$BIN" status "$NODE_POLICY" "$@" > "$NS_TMP/st.txt" 2>&1; }
st "${CLIENTS[@]}" || { cat "$NS_TMP/st.txt"; fail "status with the gateway's clients: not in sync"; }
grep -q "in sync with the manifests for the gateway's 5 client(s)" "$NS_TMP/st.txt" || fail "status: $(tail -1 "$NS_TMP/st.txt")"
st --deny-unknown 192.0.2.24/29 || { cat "$NS_TMP/st.txt"; fail "status, clients from the table: not in sync"; }
grep -q 'in sync with the manifests for the 5 client(s) the table lists' "$NS_TMP/st.txt" || fail "status: $(tail -1 "$NS_TMP/st.txt")"
st && fail "status without --deny-unknown: in sync"
grep -q -- '+ elem unknown4' "$NS_TMP/st.txt" || fail "status without --deny-unknown: no drift on unknown4"
pass "status PATHS: a freshly programmed gateway table is in sync (clients given, and read back)"
ip netns exec "$RT" nft delete element inet nfegress ns_team-a_ports_0 '{ 9100 }' || fail "nft delete element"
for form in "${CLIENTS[*]}" "--deny-unknown 192.0.2.24/29"; do
  # shellcheck disable=SC2086
  st $form && fail "status ($form): a deleted element of plan ns_team-a is not drift"
  grep -q -- '- elem ns_team-a_ports_0 key=238c accept' "$NS_TMP/st.txt" || { cat "$NS_TMP/st.txt"; fail "drift lacks the element"; }
done
ip netns exec "$RT" nft add element inet nfegress ns_team-a_ports_0 '{ 9100 : accept }' || fail "nft add element"
st "${CLIENTS[@]}" || { cat "$NS_TMP/st.txt"; fail "status: not in sync after restoring the element"; }
ip netns exec "$RT" nft delete rule inet nfegress forward handle \
  "$(ip netns exec "$RT" nft -a list chain inet nfegress forward | sed -n 's/.*iif "lo" .*# handle \([0-9]*\)/\1/p')" ||
  fail "nft delete rule"
st --deny-unknown 192.0.2.24/29 && fail "status: a deleted forward rule is not drift"
grep -q -- '- rule forward' "$NS_TMP/st.txt" || { cat "$NS_TMP/st.txt"; fail "drift lacks the forward rule"; }
pass "status PATHS: a deleted plan element and a deleted forward rule are drift, in both forms"
# A client moved to another plan by hand: drift with the clients given; read back from the table, not compared.
ip netns exec "$RT" nft delete element inet nfegress clients4 '{ 192.0.2.20 }' || fail "nft delete client"
ip netns exec "$RT" nft add element inet nfegress clients4 '{ 192.0.2.20 : goto ns_team-b }' || fail "nft add client"
st "${CLIENTS[@]}" && fail "status with the clients: a client moved to another plan is not drift"
grep -q -- '+ elem clients4 key=c0000214 goto ns_team-b' "$NS_TMP/st.txt" || { cat "$NS_TMP/st.txt"; fail "drift lacks the client"; }
pass "status PATHS --client: a client moved to another plan is drift"
echo PASS
