#!/usr/bin/env bash
# tests/e2e/queues_threads.sh — issue 19, "every core": `init` and `enforce` with two flow queues, each served by
# its own enforcer thread. 200 inspected connections at once (TLS and HTTP, allowed and denied, from 16 source
# addresses, each from its own source port) must each be decided right on the wire (allowed: the server's answer
# arrives; denied: the server receives 0 bytes), the decision log must hold exactly one whole JSON line per
# connection (its source address and port, its verdict), /metrics and the exit summary must count exactly those
# decisions, and both queues must have carried packets (the kernel's per-queue packet ids and the enforcer's
# per-queue count), so the test cannot pass on one.
# usage: queues_threads.sh   (env: NFEGRESS_BIN, NFEGRESS_SOURCE_DIR)
source "${NFEGRESS_SOURCE_DIR}/tests/netns/lib.sh"
HERE="${NFEGRESS_SOURCE_DIR}/tests/enforcer"
ns_require_root
[ -x "$NFEGRESS_BIN" ] || fail "no nfegress binary ($NFEGRESS_BIN)"

source "$HERE/sandbox.sh"

cp "$NS_POLICIES/allowed-example.yaml" "$NS_TMP/policy.yaml" || fail "policy file"
OPTS=(--namespace app --cluster-networks 198.51.100.0/24 --queue-num 100 --queue-total 2)
in_pod "$NFEGRESS_BIN" init "$NS_TMP/policy.yaml" "${OPTS[@]}" > "$NS_TMP/init.out" 2>&1 ||
  { cat "$NS_TMP/init.out" >&2; fail "nfegress init"; }
ENF=$(ns_bg "$POD" "$NS_TMP/enforce.log" "$NFEGRESS_BIN" enforce "$NS_TMP/policy.yaml" "${OPTS[@]}" \
  --admin-addr 127.0.0.1:4191)
for i in $(seq 50); do grep -q ready "$NS_TMP/enforce.log" && break; kill -0 "$ENF" 2>/dev/null || break; sleep 0.1; done
grep -q ready "$NS_TMP/enforce.log" || { cat "$NS_TMP/enforce.log" >&2; fail "enforcer not ready"; }
grep -q "nfegress enforce: namespace app, queues 100-101, 2 threads, fail-closed, ready" "$NS_TMP/enforce.log" ||
  fail "the start-up line does not name both queues and threads: $(grep 'nfegress enforce: namespace' "$NS_TMP/enforce.log")"
pass "the enforcer serves queues 100-101 with 2 threads"
expect_eq "both queues bound" "100 101" "$(in_pod awk '$1 == 100 || $1 == 101 { print $1 }' \
  /proc/net/netfilter/nfnetlink_queue | sort -n | tr '\n' ' ' | sed 's/ $//')"

# The kernel balances by a hash of the address pair and protocol (nfqueue_hash: not the ports, and seeded at random
# once per boot), so two server addresses alone may share a queue: the client leaves from 16 addresses of the pod,
# 32 address pairs, all on one queue with probability 2^-31.
SOURCES=""
for i in $(seq 101 116); do ip -n "$POD" addr add "192.0.2.$i/24" dev vp0; SOURCES+="${SOURCES:+,}192.0.2.$i"; done
N_TLS_OK=80 N_TLS_DENY=40 N_HTTP_OK=50 N_HTTP_DENY=30
N=$((N_TLS_OK + N_TLS_DENY + N_HTTP_OK + N_HTTP_DENY))
echo "== $N connections at once, 16 at a time"
in_pod python3 "${NFEGRESS_SOURCE_DIR}/tests/e2e/queues_client.py" "$CERT" $N_TLS_OK $N_TLS_DENY $N_HTTP_OK \
  $N_HTTP_DENY 16 "$SOURCES" > "$NS_TMP/client.jsonl" 2> "$NS_TMP/client.err" || { cat "$NS_TMP/client.err" >&2; fail "client"; }
expect_eq "connections made" "$N" "$(wc -l < "$NS_TMP/client.jsonl")"
bad=$(python3 -c '
import json, sys
bad = [l.strip() for l in open(sys.argv[1]) if not json.loads(l)["ok"]]
print(len(bad)); [print(b, file=sys.stderr) for b in bad[:10]]' "$NS_TMP/client.jsonl")
expect_eq "connections decided right on the wire (allowed answered, denied reset or 403)" 0 "$bad"

# Both queues carried packets: the kernel's last packet id per queue, and the enforcer's own count at exit.
q100=$(in_pod awk '$1 == 100 { print $8 }' /proc/net/netfilter/nfnetlink_queue)
q101=$(in_pod awk '$1 == 101 { print $8 }' /proc/net/netfilter/nfnetlink_queue)
[ "${q100:-0}" -gt 0 ] && [ "${q101:-0}" -gt 0 ] || fail "connections did not spread over both queues: 100:$q100 101:$q101"
pass "both queues carried packets (kernel ids 100:$q100 101:$q101)"

# /metrics while the enforcer runs: the workers' counters summed, and the Linkerd route metrics.
in_pod curl -sS --max-time 5 http://127.0.0.1:4191/metrics > "$NS_TMP/metrics.prom" || fail "GET /metrics"
metric() { python3 -c '
import re, sys
total = 0
for l in open(sys.argv[1]):
    if l.startswith(sys.argv[2]) and re.match(sys.argv[3], l):
        total += int(l.rsplit(" ", 1)[1])
print(total)' "$NS_TMP/metrics.prom" "$1" "${2:-.}"; }
expect_eq "metrics: flows allowed" $((N_TLS_OK + N_HTTP_OK)) "$(metric 'nfegress_flows_decided_total{verdict="allow"}')"
expect_eq "metrics: flows denied" $((N_TLS_DENY + N_HTTP_DENY)) "$(metric 'nfegress_flows_decided_total{verdict="deny"}')"
expect_eq "metrics: flows started" "$N" "$(metric 'nfegress_flows_started_total ')"
expect_eq "metrics: requests checked" $((N_HTTP_OK + N_HTTP_DENY)) "$(metric 'nfegress_requests_checked_total ')"
expect_eq "metrics: TLS route opens" $((N_TLS_OK + N_TLS_DENY)) "$(metric 'outbound_tls_route_open_total{')"
expect_eq "metrics: TLS route forbidden closes" "$N_TLS_DENY" \
  "$(metric 'outbound_tls_route_close_total{' '.*error="forbidden"')"
expect_eq "metrics: HTTP 403 statuses" "$N_HTTP_DENY" \
  "$(metric 'outbound_http_route_request_statuses_total{' '.*http_status="403"')"
expect_eq "metrics: HTTP requests" $((N_HTTP_OK + N_HTTP_DENY)) \
  "$(metric 'outbound_http_route_request_statuses_total{')"
expect_eq "metrics: flows pending now" 0 "$(metric 'nfegress_flows_pending ')"

sleep 2.5  # the servers log idle connections after 2 s
raw_bytes() { python3 -c 'import json,sys; print(sum(json.loads(l)["raw"] for l in open(sys.argv[1])))' "$1"; }
expect_eq "denied TLS server: bytes received" 0 "$(raw_bytes "$NS_TMP/tls20.log")"
expect_eq "denied HTTP server: bytes received" 0 "$(raw_bytes "$NS_TMP/http20.log")"

kill -TERM "$ENF"
for i in $(seq 50); do kill -0 "$ENF" 2>/dev/null || break; sleep 0.1; done
kill -0 "$ENF" 2>/dev/null && fail "the enforcer did not exit on SIGTERM"

# The decision log: every line whole JSON, exactly one per connection (by source port), with its verdict.
expect_eq "decision log: one whole line per connection, right verdict" "ok $N" "$(python3 -c '
import json, sys
want = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    want[r["src"]] = ("deny" if r["kind"].endswith("deny") else "allow", "tls" if r["kind"].startswith("tls") else "http")
got, errors = {}, []
for l in open(sys.argv[2]):
    if not l.startswith("{"):
        continue
    try:
        j = json.loads(l)
    except ValueError:
        errors.append("torn line: " + l[:80]); continue
    src = j["src"]
    if src in got:
        errors.append("two lines for %s" % src)
    got[src] = (j["verdict"], j["protocol"])
for p, v in want.items():
    if got.get(p) != v:
        errors.append("%s: logged %s, expected %s" % (p, got.get(p), v))
for p in got.keys() - want.keys():
    errors.append("%s logged but not a connection of the client" % p)
print("\n".join(errors[:10]) if errors else "ok %d" % len(got))' "$NS_TMP/client.jsonl" "$NS_TMP/enforce.log")"

counters=$(grep '^counters:' "$NS_TMP/enforce.log") || fail "no counters line"
get() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$counters"; }
expect_eq "exit summary: allowed, denied, started" "$((N_TLS_OK + N_HTTP_OK)) $((N_TLS_DENY + N_HTTP_DENY)) $N" \
  "$(get flows_allowed) $(get flows_denied) $(get flows_started)"
expect_eq "exit summary: verdict errors, bound denials" "0 0 0 0" \
  "$(get verdict_errors) $(get bound_bytes) $(get bound_segments) $(get bound_timeout)"
queues=$(grep '^queues:' "$NS_TMP/enforce.log") || fail "no per-queue line at exit"
p100=$(sed -n 's/.* 100=\([0-9]*\).*/\1/p' <<<"$queues") p101=$(sed -n 's/.* 101=\([0-9]*\).*/\1/p' <<<"$queues")
[ "${p100:-0}" -gt 0 ] && [ "${p101:-0}" -gt 0 ] || fail "a worker read no packets: $queues"
[ "$(get packets_received)" -ge $((p100 + p101)) ] ||  # the DNS answer queue's packets come on top
  fail "exit summary: packets_received $(get packets_received) is less than the workers' $((p100 + p101))"
pass "each worker read packets ($queues)"
echo PASS
