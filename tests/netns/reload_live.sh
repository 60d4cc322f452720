#!/usr/bin/env bash
# tests/netns/reload_live.sh — live reload against the real kernel, in a private network namespace: the first
# policy is programmed, a file change applies only the difference (the log says so and `nft list` shows it), an
# invalid manifest leaves the table exactly as it was, SIGHUP reloads, a file replaced by rename is seen.
#   usage: reload_live.sh HELPER   (tests/enforcer/reload_netns_helper)
source "$(dirname "$0")/lib.sh"
ns_require_root
HELPER=$1
ns_add NS reload
DIR=$NS_TMP/policy
mkdir -p "$DIR"
LOG=$NS_TMP/helper.log

manifest() {  # manifest CIDR POLICY
  cat <<YAML
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: web, namespace: app}
spec:
  trafficPolicy: $2
  networks:
  - cidr: $1
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: tls, namespace: app}
spec:
  parentRefs: [{name: web, kind: EgressNetwork, group: policy.linkerd.io, port: 443}]
  hostnames: [example.org]
  rules: [{backendRefs: [{name: web, kind: EgressNetwork, group: policy.linkerd.io}]}]
YAML
}
table() { ip netns exec "$NS" nft list table inet nfegress 2>/dev/null; }
wait_table() {  # wait_table PATTERN WHAT: until `nft list` shows PATTERN (5 s)
  local i
  for i in $(seq 50); do
    grep -q -- "$1" <<<"$(table)" && { pass "$2"; return 0; }
    sleep 0.1
  done
  table >&2; cat "$LOG" >&2
  fail "$2: '$1' not in the table"
}
wait_log() {  # wait_log COUNT PATTERN WHAT: until PATTERN appears COUNT times in the helper's log (5 s)
  local i
  for i in $(seq 50); do
    [ "$(grep -c -- "$2" "$LOG")" -ge "$1" ] && { pass "$3"; return 0; }
    sleep 0.1
  done
  cat "$LOG" >&2
  fail "$3: '$2' not logged $1 times"
}

manifest 203.0.113.0/25 Deny > "$DIR/policy.yaml"
ns_bg "$NS" "$LOG" "$HELPER" app 198.51.100.0/24 "$DIR" > /dev/null
wait_log 1 "^ready" "helper started"
wait_table "203.0.113.0/25 : goto en_0" "first policy programmed"
expect_eq "first apply replaced the table" 1 "$(grep -c 'policy applied (start).*table replaced' "$LOG")"

echo "== file change: the network grows"
manifest 203.0.113.0/24 Deny > "$DIR/policy.yaml"
wait_table "203.0.113.0/24 : goto en_0" "file change applied"
wait_log 1 "policy applied (file change).*+1/-1 elements, +0/-0 sets, +0/-0 chains, 0 chains rewritten" \
  "only the differing elements were sent"
grep -q "203.0.113.0/25" <<<"$(table)" && fail "old element still there"

echo "== invalid manifest: nothing changes"
before=$(table)
manifest 203.0.113.0/33 Deny > "$DIR/policy.yaml"
wait_log 1 "keeping the current policy" "invalid manifest reported"
grep -q "$DIR/policy.yaml:7:" "$LOG" || { cat "$LOG" >&2; fail "error has no FILE:LINE"; }
pass "error names FILE:LINE"
sleep 0.3
expect_eq "table unchanged after the invalid manifest" "$before" "$(table)"

echo "== editor-style rename, then SIGHUP"
manifest 203.0.113.0/24 Allow > "$DIR/.policy.yaml.tmp"
mv "$DIR/.policy.yaml.tmp" "$DIR/policy.yaml"
wait_log 2 "policy applied (file change)" "rename seen"
pid=$(ip netns pids "$NS" | head -1)
kill -HUP "$pid"
wait_log 1 "policy applied (SIGHUP).*kernel unchanged" "SIGHUP reloads (same input: no batch)"

kill -TERM "$pid"
sleep 0.3
grep -q "reloads=4 failures=1" "$LOG" || { cat "$LOG" >&2; fail "counters"; }
pass "reloads=4 failures=1 counted"
echo PASS
