#!/usr/bin/env bash
# tests/netns/export_check.sh — what `nfegress export` prints is a ruleset nft itself accepts: `nft -c -f` takes
# the nft text and `nft -j -c -f` the JSON (check mode, inside a private network namespace: nothing is applied,
# the host is never touched). Policies: the shipped examples, and one with CIDRs, excepts, an Allow network,
# TCP/TLS/HTTP routes, ignored ports and CIDRs, several queues and fail-open (also in audit mode). The xt NFQUEUE rule nft 1.0.6
# cannot parse is left out with --checkable (the rest of the table is checked); where the kernel has the native
# queue expression, the full native export is checked too.
source "$(dirname "$0")/lib.sh"
ns_require_root
BIN=${NFEGRESS_BIN:?}
SRC=${NFEGRESS_SOURCE_DIR:?}
command -v nft >/dev/null || fail "nft (nftables) is not installed"
ns_add CHK chk

cat > "$NS_TMP/rich.yaml" <<'YAML'
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: partners, namespace: app}
spec:
  trafficPolicy: Deny
  networks:
  - cidr: 203.0.113.0/24
    except: [203.0.113.128/25]
  - cidr: 2001:db8:100::/48
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: open, namespace: app}
spec:
  trafficPolicy: Allow
  networks: [{cidr: 198.51.100.0/25}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: db, namespace: app}
spec:
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: partners, port: 5432}]
  rules: [{backendRefs: []}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: api, namespace: app}
spec:
  hostnames: [api.example.com, "*.cdn.example.com"]
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: partners, port: 443}]
  rules: [{backendRefs: []}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: app}
spec:
  hostnames: [www.example.com]
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: partners, port: 80}]
  rules: [{matches: [{path: {type: PathPrefix, value: /v1}}]}]
YAML

check() {  # check WHAT EXPORT-ARGS...
  local what=$1; shift
  ip netns exec "$CHK" "$BIN" export "$@" --format nft > "$NS_TMP/out.nft" 2> "$NS_TMP/export.err" ||
    fail "$what: export (nft) failed: $(cat "$NS_TMP/export.err")"
  ip netns exec "$CHK" nft -c -f "$NS_TMP/out.nft" 2> "$NS_TMP/nft.err" ||
    fail "$what: nft -c -f rejects the export: $(head -5 "$NS_TMP/nft.err")"
  ip netns exec "$CHK" "$BIN" export "$@" --format json > "$NS_TMP/out.json" 2> "$NS_TMP/export.err" ||
    fail "$what: export (json) failed: $(cat "$NS_TMP/export.err")"
  ip netns exec "$CHK" nft -j -c -f "$NS_TMP/out.json" 2> "$NS_TMP/nft.err" ||
    fail "$what: nft -j -c -f rejects the export: $(head -5 "$NS_TMP/nft.err")"
  # check mode applies nothing
  [ -z "$(ip netns exec "$CHK" nft list ruleset)" ] || fail "$what: nft -c left something behind"
  pass "$what: nft -c -f and nft -j -c -f accept the export"
}

EX=("$SRC/deploy/examples/linkerd-docs-egress.yaml" "$SRC/deploy/examples/httproute-egress.yaml")
check "docs examples (compat)" "${EX[@]}" --namespace app --queue-impl compat --checkable
check "rich policy (compat)" "$NS_TMP/rich.yaml" --namespace app --cluster-networks 198.51.100.128/25 \
  --queue-impl compat --checkable --ignore-ports 22,2222 --ignore-cidrs 192.0.2.0/28,2001:db8:ff::/64 \
  --queue-total 4 --fail-open --mark-base 0x00400000 --table audit
# Audit mode (issue 20): every network audited, chains audit_N and the dynamic counter sets audit_N_tcp/udp.
check "rich policy, --audit (compat)" "$NS_TMP/rich.yaml" --namespace app --cluster-networks 198.51.100.128/25 \
  --queue-impl compat --checkable --audit
grep -q 'ct state new update @audit_0_udp { udp dport }' "$NS_TMP/out.nft" || fail "no audit chain in the --audit export"
# Name binding: the DNS answer queue (chain dns_answers on the input hook, sets dns4/dns6), and without it.
DNS=(--dns-servers 192.0.2.53,2001:db8::53 --queue-total 1)  # the DNS queue 101 right after flow queue 100
check "DNS answer queue (compat)" "${EX[@]}" --namespace app --queue-impl compat --checkable "${DNS[@]}"
grep -q 'type filter hook input priority filter' "$NS_TMP/out.nft" || fail "no dns_answers chain in the export"
check "name binding off (compat)" "${EX[@]}" --namespace app --queue-impl compat --checkable --name-binding off
grep -q '^# name binding off: ' "$NS_TMP/out.nft" || fail "the export does not say name binding is off"
grep -q 'dns_answers' "$NS_TMP/out.nft" && fail "an export with name binding off has DNS rules"

# The egress guard (table netdev): the namespace above has only lo, so the export says the guard is off and why;
# with an interface, nft checks the guard table too (one device: nft 1.0.6 reads a JSON chain's "dev" as a string).
grep -q "^# table netdev nfegress (egress guard against packet sockets): not programmed: no interface but loopback" \
  <(ip netns exec "$CHK" "$BIN" export "${EX[@]}" --namespace app --queue-impl compat 2>/dev/null) ||
  fail "an export without interfaces does not say the guard is off"
pass "export without interfaces: the guard is off, and the export says why"
ns_add PEER peer
ip link add ge0 netns "$CHK" type veth peer name ge1 netns "$PEER" || fail "veth into the check namespace"
check "docs examples with the egress guard on ge0 (compat)" "${EX[@]}" --namespace app --queue-impl compat --checkable
grep -q 'type filter hook egress devices = { "ge0" }' "$NS_TMP/out.nft" || fail "the guard is not in the export"
grep -q '"hook": *"egress"' <(python3 -m json.tool "$NS_TMP/out.json") || fail "the guard is not in the JSON export"
pass "the guard table is in both exports"
ip -n "$CHK" link del ge0 2>/dev/null

# A checkable export really leaves out only the queue rules (the SYN-with-data rules and the last rule of
# `inspect`, the four of dns_answers): the same line count, those lines commented out.
ip netns exec "$CHK" "$BIN" export "${EX[@]}" --namespace app --queue-impl compat "${DNS[@]}" > "$NS_TMP/full.nft" 2>/dev/null
ip netns exec "$CHK" "$BIN" export "${EX[@]}" --namespace app --queue-impl compat "${DNS[@]}" --checkable > "$NS_TMP/chk.nft" 2>/dev/null
# 16 lines: the SYN-with-data rule for each TCP header length (5..15 words), the queue of all the rest, and the
# DNS answers' (UDP and TCP, IPv4 and IPv6); 18 with the SYN-ACK anchor (export probes it like init): the two
# queue rules of inspect_data.
want=16; grep -q "set first" "$NS_TMP/full.nft" && want=18
[ "${CI:-}" != true ] || [ $want == 18 ] || fail "export did not program the SYN-ACK anchor on this kernel"
expect_eq "checkable differs from the full export in the queue lines only" $want \
  "$(diff "$NS_TMP/full.nft" "$NS_TMP/chk.nft" | grep -c '^>')"
# The matches of those rules are nft syntax too: the full export with each queue statement read as `drop`.
sed -E 's/queue (flags bypass )?to [0-9-]+/drop/' "$NS_TMP/full.nft" > "$NS_TMP/full-drop.nft"
ip netns exec "$CHK" nft -c -f "$NS_TMP/full-drop.nft" 2> "$NS_TMP/nft.err" ||
  fail "nft -c -f rejects the queue rules' matches: $(head -5 "$NS_TMP/nft.err")"
pass "the queue rules' matches (SYN with data: tcp doff N @th,32N,8 >= 0) pass nft -c -f"

# Where the kernel has the native queue expression, the complete native export must pass as it is.
if grep -q "native nft queue expression (probed)" <<<"$(ip netns exec "$CHK" "$BIN" export "${EX[@]}" --namespace app 2>&1 >/dev/null)"; then
  check "docs examples (native)" "${EX[@]}" --namespace app --queue-impl native
  check "DNS answer queue (native)" "${EX[@]}" --namespace app --queue-impl native "${DNS[@]}"
  grep -q 'ip6 saddr @dns6 tcp sport 53 counter queue flags bypass to 101' "$NS_TMP/out.nft" ||
    fail "the native DNS queue rule is not in the export"
else
  echo "note: this kernel has no native nft queue expression; the native export is checked where it has one"
fi
