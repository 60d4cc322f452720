#!/usr/bin/env bash
# tests/netns/init_reset.sh — `nfegress reset` removes nfegress's table (traffic flows again), leaves every other
# table alone, and succeeds when there is nothing to remove.
source "$(dirname "$0")/init_lib.sh"
init_need
ns_topology
ns_add_host "$NET" 203.0.113.10
ns_bg "$NET" "$NS_TMP/http.out" python3 "$INIT_ROOT/tests/netns/server.py" --log "$NS_TMP/http.log" 203.0.113.10:80 >/dev/null
ns_wait_port "$NET" 203.0.113.10 80
init_policy deny < <(yaml_network app/deny Deny 203.0.113.0/24)
in_pod nft add table inet other || fail "nft add table"
in_pod nft add chain inet other out '{ type filter hook output priority 10; policy accept; }' || fail "nft add chain"

nfe init "$NS_TMP/deny" --namespace app --cluster-networks 198.51.100.0/24 >/dev/null 2>&1 || fail "init"
expect_tcp "denied after init" refused 203.0.113.10 80
nfe reset > "$NS_TMP/reset.out" 2>&1; expect_eq "reset: exit" 0 $?
grep -q "removed" "$NS_TMP/reset.out" || fail "reset output: $(cat "$NS_TMP/reset.out")"
in_pod nft list table inet nfegress >/dev/null 2>&1 && fail "table still there after reset"
pass "table removed"
in_pod nft list table inet other >/dev/null 2>&1 || fail "reset removed another table"
pass "other table kept"
expect_tcp "connects after reset" connected 203.0.113.10 80
nfe reset > "$NS_TMP/reset2.out" 2>&1; expect_eq "reset without a table: exit" 0 $?
grep -q "was not present" "$NS_TMP/reset2.out" || fail "second reset output: $(cat "$NS_TMP/reset2.out")"
nfe reset --table other >/dev/null 2>&1 || fail "reset --table other"
in_pod nft list table inet other >/dev/null 2>&1 && fail "--table other not removed"
pass "--table names the table"
echo "PASS"
