#!/usr/bin/env bash
# tests/netns/dns_queue.sh — the DNS answer queue of the kernel contract (docs/architecture.md, "The DNS answer
# queue"), kernel side only (no enforcer): dnsmasq in "net" answers allowed.example with 203.0.113.7 on
# 198.51.100.53 and 2001:db8:53::53 (the --dns-servers) and on 198.51.100.54 (not one of them); `nfegress init`
# in the pod programs chain dns_answers. Then
#   (a) with NO queue reader, every answer still arrives (bypass: name resolution never waits for an enforcer),
#       and the rule counters say the answers of the servers passed the queue rules;
#   (b) with a reader on the DNS queue that holds each packet 300 ms (dns_tools.py listen), the servers' answers
#       over UDP and TCP, IPv4 and IPv6, reach it and arrive no sooner than that: queued before the client reads;
#   (c) an answer from another server, and one that comes in on lo (a resolver in the pod itself), is not queued
#       (fast, the reader never sees it, counters unchanged);
#   and after the reader goes away answers flow again at once; `status` names servers, queue and bypass;
#   `--name-binding off` removes chain and sets and says so.
source "$(dirname "$0")/init_lib.sh"
init_need
command -v dnsmasq >/dev/null || { [ "${CI:-}" == "true" ] && fail "dnsmasq is not installed"; echo "SKIP: no dnsmasq" >&2; exit 77; }
TOOLS=$INIT_ROOT/tests/netns/dns_tools.py
ns_topology
ns_add_host "$NET" 198.51.100.53
ns_add_host "$NET" 198.51.100.54
ns_add_host "$NET" 2001:db8:53::53
DNSMASQ=(dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --address=/allowed.example/203.0.113.7
         --keep-in-foreground --bind-interfaces --user=root --pid-file= --log-facility=-)
ns_bg "$NET" "$NS_TMP/dnsmasq.log" "${DNSMASQ[@]}" --listen-address=198.51.100.53 --listen-address=198.51.100.54 \
  --listen-address=2001:db8:53::53 > /dev/null
# A resolver inside the pod: its answers to the pod come in on lo.
ns_bg "$POD" "$NS_TMP/dnsmasq-pod.log" "${DNSMASQ[@]}" --listen-address=192.0.2.1 > /dev/null
init_policy p < <(yaml_network deny Deny 203.0.113.0/24)

q() { in_pod python3 "$TOOLS" query "$@"; }  # q SERVER NAME udp|tcp -> "ok ADDRS MS"
expect_answer() {  # expect_answer WHAT SERVER PROTO [MIN_MS|-] [MAX_MS]
  local out word addrs ms
  out=$(q "$2" allowed.example "$3" 3)
  read -r word addrs ms <<< "$out"
  [ "$word" == ok ] && [ "$addrs" == 203.0.113.7 ] || fail "$1: expected the answer 203.0.113.7, got '$out'"
  if [ "${4:--}" != - ] && [ "$ms" -lt "$4" ]; then fail "$1: answered in $ms ms, before the reader released it ($4 ms)"; fi
  if [ -n "${5:-}" ] && [ "$ms" -ge "$5" ]; then fail "$1: answered only after $ms ms (want < $5: not held)"; fi
  pass "$1 ($out)"
}
# Packets counted by each queue rule of dns_answers: "udp4 N tcp4 N udp6 N tcp6 N".
counts() {
  in_pod nft -j list chain inet nfegress dns_answers 2>/dev/null | python3 -c '
import json, sys
c = {}
for o in json.load(sys.stdin)["nftables"]:
    r = o.get("rule")
    if not r: continue
    fam = proto = None
    n = None
    for e in r["expr"]:
        m = e.get("match", {}).get("left", {}).get("payload", {})
        if m.get("field") == "saddr": fam = "4" if m["protocol"] == "ip" else "6"
        if m.get("field") == "sport": proto = m["protocol"]
        if "counter" in e: n = e["counter"]["packets"]
    if fam and proto: c[proto + fam] = n
print(" ".join("%s %s" % (k, c.get(k, "none")) for k in ("udp4", "tcp4", "udp6", "tcp6")))'
}
count() { counts | tr ' ' '\n' | sed -n "/^$1\$/{n;p}"; }
for i in $(seq 50); do [ "$(q 198.51.100.53 allowed.example udp 0.2 | cut -d' ' -f1)" == ok ] && break; sleep 0.1; done

nfe init "$NS_TMP/p" --namespace app --queue-total 1 --dns-servers 198.51.100.53,2001:db8:53::53,192.0.2.1 \
  > "$NS_TMP/init.out" 2> "$NS_TMP/init.err" || { cat "$NS_TMP/init.err" >&2; fail "init"; }
grep -q "DNS answers of 3 resolver(s) to queue 101 (bypass)" "$NS_TMP/init.out" ||
  fail "init's summary does not name the DNS queue: $(cat "$NS_TMP/init.out")"
in_pod nft list chain inet nfegress dns_answers > "$NS_TMP/chain.nft" 2>/dev/null || fail "no chain dns_answers"
grep -q "type filter hook input priority filter; policy accept;" "$NS_TMP/chain.nft" || fail "not on the input hook"
# nft lists the xt NFQUEUE target (decoded by libxtables) as `queue num 101 bypass`, the native one as below.
expect_eq "queue rules, all with bypass" 4 \
  "$(grep -c 'sport 53 ct state established counter packets 0 bytes 0 queue \(flags bypass to 101\|num 101 bypass\)' "$NS_TMP/chain.nft")"
nfe status > "$NS_TMP/status.out" || fail "status"
grep -q "DNS answers (chain dns_answers, input hook): answers from 192.0.2.1, 198.51.100.53, 2001:db8:53::53 queued to 101 with bypass" \
  "$NS_TMP/status.out" || fail "status does not name the DNS set-up: $(cat "$NS_TMP/status.out")"
pass "status: $(grep 'DNS answers' "$NS_TMP/status.out" | sed 's/^ *//')"
nfe status "$NS_TMP/p" --namespace app --queue-total 1 --dns-servers 198.51.100.53,2001:db8:53::53,192.0.2.1 > "$NS_TMP/sync.out" ||
  fail "status with the manifests is not in sync: $(cat "$NS_TMP/sync.out")"
pass "status with the same options: in sync"

echo "== (a) no reader on the DNS queue: answers pass (bypass) and are counted"
expect_answer "udp, IPv4, no reader" 198.51.100.53 udp
expect_answer "tcp, IPv4, no reader" 198.51.100.53 tcp
expect_answer "udp, IPv6, no reader" 2001:db8:53::53 udp
expect_answer "tcp, IPv6, no reader" 2001:db8:53::53 tcp
read -r _ u4 _ t4 _ u6 _ t6 <<< "$(counts)"
[ "$u4" -ge 1 ] && [ "$t4" -ge 2 ] && [ "$u6" -ge 1 ] && [ "$t6" -ge 2 ] || fail "counters: $(counts)"
pass "counters after one answer each: $(counts)"

echo "== (c) answers from another server, or on lo, are not queued"
before=$(counts)
expect_answer "udp from 198.51.100.54 (not a --dns-servers)" 198.51.100.54 udp
expect_answer "tcp from 198.51.100.54" 198.51.100.54 tcp
expect_answer "udp from the pod's own resolver 192.0.2.1 (on lo)" 192.0.2.1 udp
expect_answer "tcp from the pod's own resolver 192.0.2.1 (on lo)" 192.0.2.1 tcp
expect_eq "counters unchanged" "$before" "$(counts)"

echo "== (b) a reader holding each packet 300 ms: the servers' answers wait for it"
LISTENER=$(ns_bg "$POD" "$NS_TMP/listen.log" python3 -u "$TOOLS" listen 101 300)
for i in $(seq 50); do grep -q "^listening" "$NS_TMP/listen.log" && break; sleep 0.1; done
grep -q "^listening" "$NS_TMP/listen.log" || fail "the queue reader did not start: $(cat "$NS_TMP/listen.log")"
expect_answer "udp, IPv4, held by the reader" 198.51.100.53 udp 300
expect_answer "tcp, IPv4, held by the reader" 198.51.100.53 tcp 300
expect_answer "udp, IPv6, held by the reader" 2001:db8:53::53 udp 300
grep -q "^198.51.100.53 udp$" "$NS_TMP/listen.log" || fail "the reader saw no UDP answer: $(cat "$NS_TMP/listen.log")"
grep -q "^198.51.100.53 tcp$" "$NS_TMP/listen.log" || fail "the reader saw no TCP segment"
grep -q "^2001:db8:53::53 udp$" "$NS_TMP/listen.log" || fail "the reader saw no IPv6 answer"
pass "the reader saw: $(sort "$NS_TMP/listen.log" | uniq -c | tr -s ' \n' ' ')"
expect_answer "udp from 198.51.100.54 with a reader: not held" 198.51.100.54 udp - 250
expect_answer "udp on lo with a reader: not held" 192.0.2.1 udp - 250
grep -q "^198.51.100.54 \|^192.0.2.1 " "$NS_TMP/listen.log" && fail "the reader saw an answer it must not"
ns_stop "$LISTENER" KILL || fail "stopping the reader"
expect_answer "udp after the reader went away (bypass again)" 198.51.100.53 udp - 250
expect_answer "tcp after the reader went away" 198.51.100.53 tcp - 250

echo "== --name-binding off: no chain, no sets, and it says so"
nfe init "$NS_TMP/p" --namespace app --name-binding off > "$NS_TMP/off.out" 2>&1 || fail "init --name-binding off"
grep -q "name binding off: an allowed SNI or Host reaches any address of its network (upstream Linkerd's behaviour)" \
  "$NS_TMP/off.out" || fail "init does not say binding is off: $(cat "$NS_TMP/off.out")"
in_pod nft list chain inet nfegress dns_answers >/dev/null 2>&1 && fail "chain dns_answers left with binding off"
in_pod nft list set inet nfegress dns4 >/dev/null 2>&1 && fail "set dns4 left with binding off"
nfe status --name-binding off > "$NS_TMP/status-off.out" || fail "status"
grep -q "^name binding off: " "$NS_TMP/status-off.out" || fail "status does not say binding is off"
grep -q "DNS answers (chain dns_answers, input hook): not queued" "$NS_TMP/status-off.out" || fail "status: $(cat "$NS_TMP/status-off.out")"
expect_answer "udp with binding off" 198.51.100.53 udp
pass "binding off: no DNS rules"
echo "PASS"
