#!/usr/bin/env bash
# tests/netns/init_drift.sh — `nfegress status` reads the table back: absent before init, in sync after it (exit 0),
# drift (exit 1, naming the differing objects) when the manifests change or someone edits the table by hand; the
# JSON report says the same. `init --dry-run` prints the ruleset and changes nothing.
source "$(dirname "$0")/init_lib.sh"
init_need
ns_topology
init_policy a < <(yaml_network app/deny Deny 203.0.113.0/24 2001:db8:ff::/48)
init_policy b < <(yaml_network app/deny Deny 203.0.113.0/25 2001:db8:ff::/48)  # a's IPv4 network halved
OPTS=(--namespace app --cluster-networks 198.51.100.0/24)

nfe status > "$NS_TMP/s0" 2>&1; expect_eq "status without a table, no manifests: exit" 0 $?
grep -q "table inet nfegress: absent" "$NS_TMP/s0" || fail "status does not say absent: $(cat "$NS_TMP/s0")"
nfe status "$NS_TMP/a" "${OPTS[@]}" > /dev/null 2>&1; expect_eq "status without a table, with manifests: exit" 1 $?

echo "== --dry-run prints and changes nothing"
nfe init "$NS_TMP/a" "${OPTS[@]}" --dry-run > "$NS_TMP/dry.nft" 2> "$NS_TMP/dry.err" || { cat "$NS_TMP/dry.err" >&2; fail "dry run"; }
grep -q "^table inet nfegress {" "$NS_TMP/dry.nft" || fail "dry run printed no ruleset"
grep -q "203.0.113.0/24 : goto en_0" "$NS_TMP/dry.nft" || fail "dry run ruleset lacks the network"
in_pod nft list table inet nfegress >/dev/null 2>&1 && fail "dry run created the table"
pass "dry run left no table"

echo "== in sync after init, drift after a manifest change or a hand edit"
nfe init "$NS_TMP/a" "${OPTS[@]}" >/dev/null 2>&1 || fail "init a"
nfe status "$NS_TMP/a" "${OPTS[@]}" > "$NS_TMP/s1" 2>&1; expect_eq "status a after init a: exit" 0 $?
grep -q "in sync" "$NS_TMP/s1" || fail "no 'in sync': $(cat "$NS_TMP/s1")"
grep -q "EgressNetworks: 1" "$NS_TMP/s1" || fail "network count: $(cat "$NS_TMP/s1")"
grep -q "queue: compat\|queue: native" "$NS_TMP/s1" || fail "queue implementation: $(cat "$NS_TMP/s1")"
# The SYN-ACK anchor, read back from the table (set first): this kernel has `ct id`, so init programmed it.
grep -q "SYN-ACK anchor: on" "$NS_TMP/s1" || fail "status does not say the SYN-ACK anchor is on: $(cat "$NS_TMP/s1")"
# The compat queue rule is an xt expression, and nft calls any table holding one "managed by iptables-nft" (on
# stderr): status says whose table it is, in one line, exactly then (docs/auditing.md explains it).
if grep -q "queue: compat" "$NS_TMP/s1"; then
  expect_eq "status lines naming the xt queue rule" 1 "$(grep -c "note: the queue rule is an xt NFQUEUE target" "$NS_TMP/s1")"
  in_pod nft list table inet nfegress > /dev/null 2> "$NS_TMP/nft.err"
  grep -q "table inet nfegress is managed by iptables-nft" "$NS_TMP/nft.err" ||
    fail "nft no longer warns about the xt queue rule: update docs/auditing.md and the status note"
else
  grep -q "iptables-nft" "$NS_TMP/s1" && fail "iptables-nft note without the compat queue: $(cat "$NS_TMP/s1")"
fi
nfe status "$NS_TMP/b" "${OPTS[@]}" > "$NS_TMP/s2" 2>&1; expect_eq "status b after init a: exit" 1 $?
grep -q "^drift" "$NS_TMP/s2" || fail "no drift report: $(cat "$NS_TMP/s2")"
grep -q "elem dst4" "$NS_TMP/s2" || fail "drift does not name the dst4 elements: $(cat "$NS_TMP/s2")"

in_pod nft add element inet nfegress ignore4 '{ 198.51.100.7 }' || fail "hand edit"
nfe status "$NS_TMP/a" "${OPTS[@]}" --output json > "$NS_TMP/s3.json" 2>/dev/null; expect_eq "status a after a hand edit: exit" 1 $?
python3 - "$NS_TMP/s3.json" <<'PY' || fail "json drift report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["exists"] is True and r["table"] == "nfegress", r
assert r["programmed"]["networks"] == 1, r
assert r["desired"]["in_sync"] is False, r
assert any(l.startswith("elem ignore4") for l in r["desired"]["unexpected"]), r
assert r["desired"]["missing"] == [], r
PY
pass "json names the unexpected element"

nfe init "$NS_TMP/a" "${OPTS[@]}" >/dev/null 2>&1 || fail "init a again"
nfe status "$NS_TMP/a" "${OPTS[@]}" >/dev/null 2>&1; expect_eq "init repairs the drift: status exit" 0 $?

# A table programmed with --syn-ack-anchor off on a kernel that has `ct id`: status compares against the anchor
# that is programmed (as it does the queue implementation), says it is off, and is in sync; asked explicitly for
# the anchor the table lacks, it is not.
nfe init "$NS_TMP/a" "${OPTS[@]}" --syn-ack-anchor off >/dev/null 2>&1 || fail "init a --syn-ack-anchor off"
nfe status "$NS_TMP/a" "${OPTS[@]}" > "$NS_TMP/s4" 2>&1; expect_eq "status after init --syn-ack-anchor off: exit" 0 $?
grep -q "SYN-ACK anchor: off" "$NS_TMP/s4" || fail "status does not say the anchor is off: $(cat "$NS_TMP/s4")"
nfe status "$NS_TMP/a" "${OPTS[@]}" --syn-ack-anchor off >/dev/null 2>&1
expect_eq "status --syn-ack-anchor off of that table: exit" 0 $?
nfe init "$NS_TMP/a" "${OPTS[@]}" >/dev/null 2>&1 || fail "init a with the anchor"
nfe status "$NS_TMP/a" "${OPTS[@]}" --syn-ack-anchor off >/dev/null 2>&1
expect_eq "status --syn-ack-anchor off of a table with the anchor: exit" 1 $?
echo "PASS"
