#!/usr/bin/env bash
# tests/enforcer/enforce_multiqueue_netns.sh — `init` and `enforce` with --queue-total 2 (the kernel balances
# flows over queues 100 and 101 by a hash of the address pair): many connections from 8 pod addresses spread over
# both queues (the kernel's per-queue packet ids in /proc/net/netfilter/nfnetlink_queue), every decision is right
# on the wire
# (allowed SNI/Host connect, denied TLS is reset, denied HTTP reads `403 traffic not allowed`, and their servers see
# zero bytes) and in the decision log, and without an enforcer both queues fail closed (no connection through, no
# byte to a server).
# usage: enforce_multiqueue_netns.sh   (env: NFEGRESS_BIN, NFEGRESS_SOURCE_DIR)
source "${NFEGRESS_SOURCE_DIR}/tests/netns/lib.sh"
HERE="${NFEGRESS_SOURCE_DIR}/tests/enforcer"
ns_require_root
[ -x "$NFEGRESS_BIN" ] || fail "no nfegress binary ($NFEGRESS_BIN)"

source "$HERE/sandbox.sh"

# Deny all but TLS to SNI allowed.example (443) and HTTP allowed.example/get... (80); other names unused here.
cp "$NS_POLICIES/allowed-example.yaml" "$NS_TMP/policy.yaml" || fail "policy file"
OPTS=(--namespace app --cluster-networks 198.51.100.0/24 --queue-num 100 --queue-total 2)
in_pod "$NFEGRESS_BIN" init "$NS_TMP/policy.yaml" "${OPTS[@]}" || fail "nfegress init"
in_pod nft list table inet nfegress > "$NS_TMP/ruleset.txt" || fail "nft list"
grep -Eq 'queue (flags [a-z,]+ )?(num|to) 100-101|NFQUEUE num 100 total 2|queue-balance 100:101' "$NS_TMP/ruleset.txt" ||
  fail "no balanced queue 100-101 in the ruleset: $(grep -i queue "$NS_TMP/ruleset.txt")"
pass "the ruleset balances over queues 100-101"

start_enforcer() {
  ENF=$(ns_bg "$POD" "$NS_TMP/enforce.log" "$NFEGRESS_BIN" enforce "$NS_TMP/policy.yaml" "${OPTS[@]}")
  for i in $(seq 50); do grep -q ready "$NS_TMP/enforce.log" && break; kill -0 "$ENF" 2>/dev/null || break; sleep 0.1; done
  grep -q ready "$NS_TMP/enforce.log" || { cat "$NS_TMP/enforce.log" >&2; fail "enforcer not ready"; }
}
# queue_ids: "Q:ID_SEQUENCE ..." for our queues (the kernel's last packet id per queue, i.e. packets queued).
queue_ids() { in_pod awk '$1 == 100 || $1 == 101 { printf "%s:%s ", $1, $8 }' /proc/net/netfilter/nfnetlink_queue; }
queue_id() { in_pod awk -v q="$1" '$1 == q { print $8 }' /proc/net/netfilter/nfnetlink_queue; }
# The kernel picks the queue by a hash of the address pair (not the ports), seeded at random once per boot, so
# two server addresses alone may share a queue: the connections leave from 8 pod addresses in turn.
for i in $(seq 101 108); do ip -n "$POD" addr add "192.0.2.$i/24" dev vp0; done
curl_rc() {  # curl_rc MAXTIME ARGS...: curl's exit code (output to $NS_TMP/curl.out)
  local n  # the connection count lives in a file: curl_rc runs in $(...), a subshell
  n=$(($(cat "$NS_TMP/conns" 2>/dev/null || echo 0) + 1)); echo "$n" > "$NS_TMP/conns"
  in_pod curl -sS --interface "192.0.2.$((101 + n % 8))" --max-time "$1" --cacert "$CERT" \
    -o "$NS_TMP/curl.out" "${@:2}" 2>"$NS_TMP/curl.err"
  echo $?
}
is_reset() { case $1 in 7|35|52|56) return 0 ;; *) return 1 ;; esac; }
raw_bytes() { python3 -c 'import json,sys; print(sum(json.loads(l)["raw"] for l in open(sys.argv[1])))' "$1"; }

start_enforcer
expect_eq "both queues bound" "100 101" "$(in_pod awk '$1 == 100 || $1 == 101 { print $1 }' \
  /proc/net/netfilter/nfnetlink_queue | sort -n | tr '\n' ' ' | sed 's/ $//')"

echo "== many connections over two queues"
N_TLS_OK=24 N_TLS_DENY=8 N_HTTP_OK=8 N_HTTP_DENY=6
bad=0
for i in $(seq $N_TLS_OK); do
  rc=$(curl_rc 8 https://allowed.example/get)
  [ "$rc" == 0 ] && [ "$(cat "$NS_TMP/curl.out")" == "ok allowed.example /get 0" ] ||
    { echo "allowed TLS connection $i: rc $rc $(cat "$NS_TMP/curl.err")"; bad=$((bad + 1)); }
done
for i in $(seq $N_TLS_DENY); do
  rc=$(curl_rc 8 https://denied.example/get)
  is_reset "$rc" || { echo "denied TLS connection $i: rc $rc, expected a reset"; bad=$((bad + 1)); }
done
for i in $(seq $N_HTTP_OK); do
  rc=$(curl_rc 8 http://allowed.example/get/$i)
  [ "$rc" == 0 ] || { echo "allowed HTTP request $i: rc $rc"; bad=$((bad + 1)); }
done
for i in $(seq $N_HTTP_DENY); do
  if [ $((i % 2)) == 0 ]; then rc=$(curl_rc 8 http://allowed.example/forbidden/$i)
  else rc=$(curl_rc 8 http://denied.example/get/$i); fi
  [ "$rc" == 0 ] && [ "$(cat "$NS_TMP/curl.out")" == "traffic not allowed" ] ||
    { echo "denied HTTP request $i: rc $rc '$(cat "$NS_TMP/curl.out")', expected 403 traffic not allowed"; bad=$((bad + 1)); }
done
expect_eq "every connection decided right on the wire" 0 "$bad"
ids="$(queue_ids)"
echo "packets queued per queue (kernel id sequence): $ids"
q100=$(queue_id 100) q101=$(queue_id 101)
[ "${q100:-0}" -gt 0 ] && [ "${q101:-0}" -gt 0 ] || fail "connections did not spread over both queues: $ids"
pass "both queues carried packets ($ids)"

sleep 2.5  # the servers log idle connections after 2 s
expect_eq "denied TLS server: bytes received" 0 "$(raw_bytes "$NS_TMP/tls20.log")"
expect_eq "denied HTTP server: bytes received" 0 "$(raw_bytes "$NS_TMP/http20.log")"
grep -q forbidden "$NS_TMP/http10.log" && fail "a forbidden request reached the server"
pass "no forbidden request reached a server"

# The decision log: one line per connection, each with the right verdict (written on the workers' tick: wait for
# every connection's line, and 0.3 s more for any extra one).
log_wait "$NS_TMP/enforce.log" '^\{' $((N_TLS_OK + N_TLS_DENY + N_HTTP_OK + N_HTTP_DENY))
expect_eq "decision log: allow/deny per host and protocol" \
  "allow allowed.example http $N_HTTP_OK|allow allowed.example tls $N_TLS_OK|deny allowed.example http $((N_HTTP_DENY / 2))|deny denied.example http $((N_HTTP_DENY - N_HTTP_DENY / 2))|deny denied.example tls $N_TLS_DENY" \
  "$(python3 -c '
import collections, json, sys
c = collections.Counter()
for l in open(sys.argv[1]):
    if l.startswith("{"):
        j = json.loads(l)
        c[(j["verdict"], j["host"], j["protocol"])] += 1
print("|".join("%s %s %s %d" % (k + (n,)) for k, n in sorted(c.items())))' "$NS_TMP/enforce.log")"

kill -TERM "$ENF"
for i in $(seq 50); do kill -0 "$ENF" 2>/dev/null || break; sleep 0.1; done
counters=$(grep '^counters:' "$NS_TMP/enforce.log") || fail "no counters line"
get() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$counters"; }
expect_eq "verdict errors, bound denials" "0 0 0 0" \
  "$(get verdict_errors) $(get bound_bytes) $(get bound_segments) $(get bound_timeout)"
expect_eq "flows started" $((N_TLS_OK + N_TLS_DENY + N_HTTP_OK + N_HTTP_DENY)) "$(get flows_started)"

echo "== no enforcer: both queues fail closed"
: > "$NS_TMP/tls10.log"
passed=0
for i in $(seq 8); do
  rc=$(curl_rc 2 https://allowed.example/get)
  [ "$rc" == 0 ] && passed=$((passed + 1))
done
expect_eq "connections through without an enforcer" 0 "$passed"
sleep 2.5
expect_eq "server bytes received without an enforcer" 0 "$(raw_bytes "$NS_TMP/tls10.log")"

start_enforcer
expect_eq "allowed SNI again after restart" 0 "$(curl_rc 8 https://allowed.example/get)"
echo PASS
