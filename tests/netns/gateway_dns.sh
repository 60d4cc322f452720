#!/usr/bin/env bash
# tests/netns/gateway_dns.sh — issue 18: node/gateway mode learns the DNS answers its clients receive. `nfegress
# gateway --name-binding strict --dns-servers 192.0.2.53` in the router namespace of tests/netns/node_lib.sh; a
# resolver (dnsmasq) behind the router at 192.0.2.53 answers allowed.example -> 203.0.113.10, and the client asks it
# through a kube-proxy-like DNAT in the router (the "cluster DNS Service" 192.0.2.100 -> 192.0.2.53: the reply's
# source is un-DNATed only at POSTROUTING, after the forward hook, so the table sees the resolver's own address).
# Strict binding never resolves: a flow to the name is allowed only once the answer was learned from the forward
# path. Asserted: before the query the flow is refused (0 bytes); the client's answer is counted by chain
# dns_answers and learned (metrics), resolves_sent stays 0; then allowed.example reaches 203.0.113.10, and the same
# name toward 198.51.100.10 (its route allows that network, the name never resolved there) gets 0 bytes through.
# A client forging the resolver's address is dropped by the forward chain's reverse-path rule, before the answers.
source "$(dirname "$0")/node_lib.sh"
ns_require_root
BIN=${NFEGRESS_BIN:?}
command -v dnsmasq >/dev/null || fail "dnsmasq is not installed"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
TOOLS=$NODE_SRC/tests/netns/dns_tools.py
ADMIN=127.0.0.1:4191

node_topology
# The resolver: its own subnet behind the router (outside every network of the policy: the query is not judged).
ip -n "$RT" addr add 192.0.2.49/28 dev rs
ip -n "$SV" addr add 192.0.2.53/28 dev s0
ip -n "$RT" addr add 2001:db8:53::1/64 dev rs nodad
ip -n "$SV" addr add 2001:db8:53::53/64 dev s0 nodad
ns_bg "$SV" "$NS_TMP/dnsmasq.log" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts \
  --address=/allowed.example/203.0.113.10 --keep-in-foreground --bind-interfaces --user=root --pid-file= \
  --log-facility=- --listen-address=192.0.2.53 --listen-address=2001:db8:53::53 > /dev/null
# kube-proxy's shape: the clients ask a Service address that the router DNATs to the resolver.
ip netns exec "$RT" nft -f - <<'NFT' || fail "DNAT table"
table ip kubeproxy_like {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 192.0.2.100 udp dport 53 dnat to 192.0.2.53
    ip daddr 192.0.2.100 tcp dport 53 dnat to 192.0.2.53
  }
}
NFT
q() { ip netns exec "$CC" python3 "$TOOLS" query "${1:-192.0.2.100}" allowed.example "${2:-udp}" 3; }
for i in $(seq 50); do [[ $(q) == "ok 203.0.113.10 "* ]] && break; sleep 0.1; done
[[ $(q) == "ok 203.0.113.10 "* ]] || fail "control: the resolver does not answer through the DNAT: $(q)"

GW=$(ns_bg "$RT" "$NS_TMP/gateway.log" "$BIN" gateway "$NODE_POLICY" --client 192.0.2.0/28=team-a \
  --client 192.0.2.20=team-c --client 2001:db8:c::/64=team-c --name-binding strict \
  --dns-servers 192.0.2.53,2001:db8:53::53 --admin-addr "$ADMIN")
for i in $(seq 100); do grep -q ', ready' "$NS_TMP/gateway.log" && break; sleep 0.1; done
grep -q ', ready' "$NS_TMP/gateway.log" || { cat "$NS_TMP/gateway.log" >&2; fail "nfegress gateway did not start"; }
pass "gateway started: $(grep ', ready' "$NS_TMP/gateway.log")"
grep -q 'name binding: strict, DNS answer queue [0-9]* (fail-open)' "$NS_TMP/gateway.log" ||
  { cat "$NS_TMP/gateway.log" >&2; fail "the start lines do not name the DNS answer queue"; }
chain=$(ip netns exec "$RT" nft list chain inet nfegress dns_answers) || fail "no chain dns_answers"
grep -q 'hook forward priority filter + 10' <<<"$chain" || fail "dns_answers is not after the forward chain: $chain"
grep -q 'ip saddr @dns4 udp sport 53 ct state established ip daddr @clients4 counter' <<<"$chain" ||
  fail "dns_answers lacks the UDP rule: $chain"

metric() {  # metric NAME-WITH-LABELS -> value
  ip netns exec "$RT" python3 -c 'import sys, urllib.request
for l in urllib.request.urlopen("http://" + sys.argv[1] + "/metrics", timeout=3).read().decode().splitlines():
    if l.startswith(sys.argv[2] + " "): print(l.split()[-1])' "$ADMIN" "$1"
}
count() {  # count dns4|dns6 udp|tcp: packets the rule of chain dns_answers queued
  sed -n "s/.*@$1 $2 sport 53 .*counter packets \([0-9]*\).*/\1/p" <<<"$(ip netns exec "$RT" nft list chain inet nfegress dns_answers)"
}
udp_count() { count dns4 udp; }
LEARNED='nfegress_dns_answers_total{result="learned"}'

expect_not_through() {  # expect_not_through WHAT DST: GET /get on 80 as allowed.example; 0 bytes at the server
  local m got at
  m=$(node_marker "$1")
  got=$(node_get "$CC" 192.0.2.20 "$2" 80 "/get/$m")
  at=$(node_arrived "$m")
  [ -z "$at" ] || fail "$1: the server received the marker ($at)"
  [[ $got != "response HTTP/1.1 200"* ]] || fail "$1: the client read a 200"
  pass "$1: 0 bytes at the server, client: $got"
}
expect_not_through "before any answer (strict: unbound name)" 203.0.113.10
[ "$(metric "$LEARNED")" == 0 ] || fail "learned before any answer: $(metric "$LEARNED")"

out=$(q)
[[ $out == "ok 203.0.113.10 "* ]] || fail "the client's query through the gateway: $out"
pass "the client asked the Service address, answer: $out"
[[ $(udp_count) -ge 1 ]] || fail "chain dns_answers counted no UDP answer"
for i in $(seq 30); do [[ $(metric "$LEARNED") -ge 1 ]] && break; sleep 0.1; done
[[ $(metric "$LEARNED") -ge 1 ]] || fail "the answer was not learned: $(metric "$LEARNED")"
[ "$(metric nfegress_resolves_sent_total)" == 0 ] || fail "the enforcer resolved itself: $(metric nfegress_resolves_sent_total)"
pass "answer queued ($(udp_count) packet(s)) and learned ($(metric "$LEARNED")), resolves_sent 0"

# TCP through the DNAT, and IPv6 (the client asks the resolver's IPv6 address): queued and learned too.
n=$(metric "$LEARNED")
out=$(q 192.0.2.100 tcp)
[[ $out == "ok 203.0.113.10 "* ]] || fail "the client's TCP query: $out"
out=$(q 2001:db8:53::53 udp)
[[ $out == "ok 203.0.113.10 "* ]] || fail "the client's query over IPv6: $out"
[[ $(count dns4 tcp) -ge 1 && $(count dns6 udp) -ge 1 ]] || fail "not queued: tcp4 $(count dns4 tcp), udp6 $(count dns6 udp)"
for i in $(seq 30); do [[ $(metric "$LEARNED") -ge $((n + 2)) ]] && break; sleep 0.1; done
[[ $(metric "$LEARNED") -ge $((n + 2)) ]] || fail "the TCP and IPv6 answers were not learned: $n -> $(metric "$LEARNED")"
pass "TCP ($(count dns4 tcp) segment(s)) and IPv6 ($(count dns6 udp)) answers queued and learned ($(metric "$LEARNED"))"

expect_get "allowed.example -> 203.0.113.10 (learned from the forward path)" "$CC" 192.0.2.20 203.0.113.10 80 allowed /get
expect_not_through "allowed.example -> 198.51.100.10 (never resolved there)" 198.51.100.10
[ "$(metric nfegress_resolves_sent_total)" == 0 ] || fail "the enforcer resolved itself: $(metric nfegress_resolves_sent_total)"

# A client (team-a, NET_RAW in its own namespace) forging an answer from the resolver's address: dropped by the
# strict reverse-path rule of the forward chain (the resolver routes out of rs, not ra), never read as an answer.
rp() { sed -n 's/.*fib saddr . iif oif missing counter packets \([0-9]*\).*/\1/p' <<<"$(ip netns exec "$RT" nft list chain inet nfegress forward)"; }
rp0=$(rp) udp0=$(udp_count)
RMAC=$(ip -n "$RT" -br link show ra | awk '{print $3}')
node_attack "$CA" net_raw --marker "$(node_marker forged)" packet a0 "$RMAC" udp 192.0.2.53 192.0.2.20 --port 40053 --sport 53
[[ $(rp) -ge $((rp0 + 3)) ]] || fail "the reverse-path rule did not drop the forged answers ($rp0 -> $(rp))"
[ "$(udp_count)" == "$udp0" ] || fail "a forged answer reached chain dns_answers ($udp0 -> $(udp_count))"
pass "answers forged with the resolver's address from a client's link: dropped by the reverse-path rule ($rp0 -> $(rp))"

ns_stop "$GW" || fail "nfegress gateway did not stop"
grep -q '^counters:.* dns_answers_learned=[1-9]' "$NS_TMP/gateway.log" || fail "no learned answers in the exit counters"
# status against the table (it stays): in sync with the same options, and it names the forward-path answers.
ip netns exec "$RT" "$BIN" status "$NODE_POLICY" --client 192.0.2.0/28=team-a --client 192.0.2.20=team-c \
  --client 2001:db8:c::/64=team-c --name-binding strict --dns-servers 192.0.2.53,2001:db8:53::53 > "$NS_TMP/st.txt" 2>&1 ||
  { cat "$NS_TMP/st.txt"; fail "status: not in sync"; }
grep -q 'DNS answers (chain dns_answers, forward hook): answers from 192.0.2.53, 2001:db8:53::53 queued' "$NS_TMP/st.txt" ||
  { cat "$NS_TMP/st.txt"; fail "status does not name the forward-path DNS answers"; }
ip netns exec "$RT" "$BIN" status "$NODE_POLICY" --client 192.0.2.0/28=team-a --client 192.0.2.20=team-c \
  --client 2001:db8:c::/64=team-c --name-binding strict > "$NS_TMP/st.txt" 2>&1 &&
  fail "status without --dns-servers: in sync with a dns_answers chain"
pass "status: in sync with --dns-servers, drift without"
echo PASS
