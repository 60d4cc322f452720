#!/usr/bin/env bash
# tests/e2e/audit.sh [suggest] — issue 20 on the wire. Two Deny EgressNetworks side by side: `audited`
# (nfegress.io/mode: audit, 203.0.113.0/24) and `enforced` (198.51.100.0/24), each with a TLSRoute for
# httpbin.org on 443 and an HTTPRoute for /get on 80. Denied TLS (SNI), HTTP (path), TCP (a port without route) and
# UDP traffic goes through to the audited network (its servers receive the bytes) and is recorded as a would-deny:
# decision log "verdict":"allow","audit":"deny" with the reason `explain` gives, Linkerd metrics with
# error="audit", the kernel's per-port counters in `status` and on /metrics; the same traffic to the enforced
# network is blocked (0 bytes reach its servers). Then the audited network is switched to enforce by a live reload
# (a file change, no restart): the same traffic is blocked.
# With `suggest`: after the audit phase, `nfegress suggest` over that run's decision log gives manifests that
# `nfegress check` accepts and that, enforced (init + enforce), allow every flow the log saw and deny one it did not.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
MODE=${1:-audit}
e2e_need init enforce explain status
[ "$MODE" != suggest ] || e2e_need suggest check

e2e_sandbox
AUD=203.0.113.20 ENF=198.51.100.20
e2e_host $AUD github.com httpbin.org
e2e_host $ENF api.example.com
e2e_http $AUD:80 $AUD:8080 $ENF:80 $ENF:8080
e2e_tls $AUD:443 $ENF:443
# A UDP sink in the internet namespace: one JSON line per datagram (listen, bytes), as server.py logs (bytes_seen).
cat > "$NS_TMP/udp_sink.py" <<'PY'
import json, socket, sys, threading
log = open(sys.argv[1], "a")
def serve(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 5353))
    while True:
        data, _ = s.recvfrom(65535)
        log.write(json.dumps({"listen": "%s:5353" % addr, "bytes": len(data)}) + "\n"); log.flush()
for a in sys.argv[2:]:
    threading.Thread(target=serve, args=(a,), daemon=True).start()
threading.Event().wait()
PY
ns_bg "$NET" "$NS_TMP/udp.out" python3 "$NS_TMP/udp_sink.py" "$NS_TMP/udp.log" $AUD $ENF >/dev/null
sleep 0.3

write_policy() {  # write_policy MODE: the audited network's nfegress.io/mode ("" = no annotation)
  {
    printf -- '---\napiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\n'
    printf 'metadata:\n  name: audited\n  namespace: linkerd-egress\n'
    [ -z "$1" ] || printf '  annotations: {nfegress.io/mode: %s}\n' "$1"
    printf 'spec:\n  trafficPolicy: Deny\n  networks: [{cidr: 203.0.113.0/24}]\n'
    yaml_network enforced Deny 198.51.100.0/24
    for n in audited enforced; do
      yaml_route TLSRoute "tls-$n" "$n:443" hostnames=httpbin.org
      yaml_route HTTPRoute "get-$n" "$n:80" path=PathPrefix:/get
    done
  } | e2e_policy
}

# One 100-byte datagram to ADDR:5353; a drop on the output path shows as EPERM to the sender (not an error here).
udp_send() {
  in_pod python3 -c "
import socket, sys
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x' * 100, (sys.argv[1], 5353))
except PermissionError:
    pass" "$1"
}

# The four kinds of traffic the Deny networks deny, to ADDR (its name for TLS and HTTP): NAME:PORT TLS, HTTP, TCP, UDP.
# expect_traffic WHAT ADDR NAME WANT: WANT=through (the server got the bytes) or blocked (0 bytes)
expect_traffic() {
  local what=$1 addr=$2 name=$3 want=$4 b a out
  for spec in "tls:443:$NS_TMP/tls.log:https://$name/" "http:80:$NS_TMP/http.log:http://$name/forbidden" \
              "tcp:8080:$NS_TMP/http.log:http://$name:8080/" "udp:5353:$NS_TMP/udp.log:"; do
    IFS=: read -r kind port log url rest <<<"$spec"
    [ -z "$rest" ] || url="$url:$rest"
    b=$(bytes_seen "$addr:$port" "$log")
    if [ "$kind" == udp ]; then udp_send "$addr"; out=sent; else out=$(outcome "$url"); fi
    a=$(bytes_seen "$addr:$port" "$log")
    if [ "$want" == through ]; then
      [ "$kind" == udp ] || expect_eq "$what: $kind to $addr:$port answered" allow "$out"
      [ "$a" -gt "$b" ] || fail "$what: $kind to $addr:$port: the server received no byte ($b -> $a)"
      pass "$what: $kind to $addr:$port went through ($((a - b)) bytes reached the server)"
    else
      [ "$kind" == udp ] || expect_eq "$what: $kind to $addr:$port answered" deny "$out"
      expect_eq "$what: $kind to $addr:$port: bytes reaching the server" "$b" "$a"
    fi
  done
}

decisions() { grep '^{' "$NS_TMP/enforce.log" || true; }
# log_field FILTER FIELD: FIELD of the last decision-log line matching the python expression FILTER (on j)
log_field() {
  decisions | python3 -c '
import json, sys
hit = None
for line in sys.stdin:
    j = json.loads(line)
    if eval(sys.argv[1]):
        hit = j
print("" if hit is None else hit.get(sys.argv[2], ""))' "$1" "$2"
}
explain_field() {  # explain_field FIELD EXPLAIN-ARGS...
  local f=$1; shift
  "$BIN" explain "$POLICY" --namespace app --output json --to "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$f"
}

write_policy audit
"$BIN" check "$POLICY" >/dev/null || fail "check of the audit policy"
e2e_init app
e2e_enforce_start app

echo "== audit mode: the audited network lets denied traffic through and records it; the other one blocks"
expect_outcome "allowed TLS httpbin.org (audited network)" allow https://httpbin.org/get
expect_traffic "audited" $AUD github.com through
expect_traffic "enforced" $ENF api.example.com blocked

echo "== would-denies: decision log, explain, metrics, kernel counters"
# The decision log is written on the workers' tick: wait for the two would-denies (TLS, HTTP) and the two denials
# of the enforced network, so that the counts and absences below see every line.
log_wait "$NS_TMP/enforce.log" '"audit":"deny"' 2
log_wait "$NS_TMP/enforce.log" '"dst":"198\.51\.100\.20:(443|80)".*"verdict":"deny"' 2
for c in "tls github.com:443:--sni github.com" "http github.com:80:--host github.com --path /forbidden"; do
  IFS=: read -r what port flags <<<"$c"
  proto=${what%% *} host=${what#* }
  filt="j['protocol']=='$proto' and j['host']=='$host' and j['dst']=='$AUD:$port'"
  expect_eq "$what: decision log verdict" allow "$(log_field "$filt" verdict)"
  expect_eq "$what: decision log audit" deny "$(log_field "$filt" audit)"
  # shellcheck disable=SC2086
  want=$(explain_field reason "$AUD:$port" $flags)
  [ -n "$want" ] || fail "$what: explain gave no reason"
  expect_eq "$what: decision-log reason is explain's" "$want" "$(log_field "$filt" reason)"
  # shellcheck disable=SC2086
  expect_eq "$what: explain says allow" allow "$(explain_field decision "$AUD:$port" $flags)"
  # shellcheck disable=SC2086
  expect_eq "$what: explain says audit deny" deny "$(explain_field audit "$AUD:$port" $flags)"
done
expect_eq "tcp 8080: explain audit" deny "$(explain_field audit "$AUD:8080")"
expect_eq "udp 5353: explain audit" deny "$(explain_field audit "$AUD:5353" --proto udp)"
"$BIN" explain "$POLICY" --namespace app --to "$AUD:8080" | grep -q "would deny in enforce mode" ||
  fail "explain text does not say 'would deny in enforce mode'"
expect_eq "enforced network: no would-deny in the log" "" "$(log_field "j.get('audit') and j['dst'].startswith('$ENF')" dst)"
in_pod curl -s "http://$ADMIN/metrics" > "$NS_TMP/metrics.txt" || fail "metrics"
for want in 'outbound_tls_route_close_total{[^}]*parent_name="audited"[^}]*route_name="tls-egress-deny"[^}]*error="audit"} 1' \
            'outbound_http_route_request_statuses_total{[^}]*parent_name="audited"[^}]*http_status="",error="audit"} 1' \
            'outbound_tls_route_close_total{[^}]*parent_name="enforced"[^}]*error="forbidden"} 1' \
            'nfegress_audit_would_deny_total 2' \
            'nfegress_audit_kernel_flows_total{parent_namespace="linkerd-egress",parent_name="audited",protocol="tcp",port="8080"} 1' \
            'nfegress_audit_kernel_flows_total{parent_namespace="linkerd-egress",parent_name="audited",protocol="udp",port="5353"} 1'; do
  grep -Eq "^$want\$" "$NS_TMP/metrics.txt" || { grep -E 'audit|forbidden' "$NS_TMP/metrics.txt" >&2; fail "metrics: no line $want"; }
done
pass "metrics: Linkerd route metrics with error=\"audit\", nfegress_audit_would_deny_total, kernel counters per port"
# The rollout guide's queries (docs/operations.md, "Audit first, then enforce"), as written there.
in_pod curl -s http://127.0.0.1:4191/metrics | grep -E 'error="audit"|^nfegress_audit_' > "$NS_TMP/guide-metrics.txt"
[ "$(wc -l < "$NS_TMP/guide-metrics.txt")" -ge 5 ] || { cat "$NS_TMP/guide-metrics.txt" >&2; fail "the guide's metrics query"; }
decisions > "$NS_TMP/decisions.jsonl"
(cd "$NS_TMP" && jq -r 'select(.audit == "deny") | [.egressNetwork, .dst, .host, .path, .reason] | @tsv' decisions.jsonl | sort | uniq -c | sort -rn) > "$NS_TMP/guide-jq.txt"
expect_eq "the guide's jq query: one line per would-deny (TLS, HTTP)" 2 "$(wc -l < "$NS_TMP/guide-jq.txt")"
grep -q "linkerd-egress/audited.$AUD:80.github.com./forbidden" "$NS_TMP/guide-jq.txt" || { cat "$NS_TMP/guide-jq.txt" >&2; fail "the guide's jq query"; }
in_pod "$BIN" status "$POLICY" --namespace app > "$NS_TMP/status.txt" 2>&1 || { cat "$NS_TMP/status.txt" >&2; fail "status: not in sync"; }
grep -q "linkerd-egress/audited tcp/8080: 1 flow(s)" "$NS_TMP/status.txt" &&
  grep -q "linkerd-egress/audited udp/5353: 1 flow(s)" "$NS_TMP/status.txt" ||
  { cat "$NS_TMP/status.txt" >&2; fail "status does not show the kernel's would-denies"; }
pass "status: in sync, the kernel's would-denies per port"

if [ "$MODE" == suggest ]; then
  echo "== suggest over this run's decision log"
  e2e_enforce_stop  # first: the enforcer writes the decision lines it still holds on the way out
  decisions > "$NS_TMP/decisions.jsonl"
  "$BIN" suggest "$NS_TMP/decisions.jsonl" > "$NS_TMP/suggested.yaml" || fail "suggest"
  cat "$NS_TMP/suggested.yaml"
  "$BIN" check "$NS_TMP/suggested.yaml" || fail "check refuses the suggested manifests"
  pass "check accepts the suggested manifests"
  e2e_policy < "$NS_TMP/suggested.yaml"
  grep -q 'nfegress.io/mode' "$POLICY/policy.yaml" && fail "the suggestion is not in enforce mode"
  e2e_init app
  e2e_enforce_start app
  # Every flow of the log (TLS httpbin.org and github.com, HTTP github.com/forbidden) is allowed; one not seen
  # (another path) is not.
  expect_outcome "suggested, enforced: TLS github.com (seen)" allow https://github.com/
  expect_outcome "suggested, enforced: TLS httpbin.org (seen)" allow https://httpbin.org/get
  expect_outcome "suggested, enforced: HTTP github.com/forbidden (seen)" allow http://github.com/forbidden
  b=$(bytes_seen "$AUD:80")
  expect_outcome "suggested, enforced: HTTP github.com/other (not seen)" deny http://github.com/other
  expect_eq "not seen: bytes reaching the server" "$b" "$(bytes_seen "$AUD:80")"
  log_wait "$NS_TMP/enforce.log" '"verdict":"deny".*"path":"/other"'  # the last request's line, then no audit line
  expect_eq "suggested, enforced: nothing recorded as a would-deny" "" "$(log_field "j.get('audit')" dst)"
  e2e_enforce_stop
  echo "PASS"
  exit 0
fi

echo "== switch to enforce by live reload (a file change, no restart)"
# Open across the switch: a would-deny TLS connection (allowed whole: its ct mark keeps it going) and a keep-alive
# HTTP connection whose every request is a would-deny (cut at its first request after the switch).
long_client_start tls --addr $AUD --port 443 --host github.com --tls "$CERT" --path /x
long_client_start ka --addr $AUD --port 80 --host github.com --path /forbidden
pid=$ENFORCER
write_policy enforce
wait_outcome "after reload: TLS github.com denied" deny https://github.com/
for i in $(seq 50); do grep -q '^error' "$NS_TMP/client-ka.log" && break; sleep 0.1; done
grep -q '^error' "$NS_TMP/client-ka.log" || fail "the open keep-alive connection still passes would-denies after the switch"
pass "open keep-alive HTTP connection: cut at its first request after the switch ($(long_client_count ka) requests passed before)"
n=$(long_client_count tls); sleep 1
[ "$(long_client_count tls)" -gt "$n" ] || fail "the TLS connection allowed before the switch stopped"
long_client_stop tls
expect_traffic "enforce after reload" $AUD github.com blocked
expect_traffic "enforced, still" $ENF api.example.com blocked
expect_outcome "after reload: allowed TLS httpbin.org still allowed" allow https://httpbin.org/get
kill -0 "$pid" || fail "the enforcer is gone"
expect_eq "the same enforcer (no restart)" "$pid" "$ENFORCER"
grep -q "policy applied (file change)" "$NS_TMP/enforce.log" || fail "no live reload in the enforcer's log"
grep -q "+0/-2 sets, +0/-1 chains" "$NS_TMP/enforce.log" || { grep "policy applied" "$NS_TMP/enforce.log" >&2; fail "the switch was not the minimal update (2 sets, 1 chain removed)"; }
pass "switched by a live reload: an ordinary minimal update (the audit sets and chain removed)"
in_pod "$BIN" status "$POLICY" --namespace app > "$NS_TMP/status.txt" 2>&1 || { cat "$NS_TMP/status.txt" >&2; fail "status after the switch"; }
grep -q "audit:" "$NS_TMP/status.txt" && fail "status still reports an audited network"
e2e_enforce_stop
echo "PASS"
