#!/usr/bin/env bash
# tests/netns/init_hashmap.sh — a policy with a dense prefix length (2,200 /64s) is programmed with the hash map
# `dst6_64` (`size N`, a masked lookup) next to the interval map, and decides on the wire like any other: real TCP
# from the pod to servers inside the hashed /64s is refused for a Deny network's port without routes, connects on
# its TCPRoute port and to an Allow network, and a gap between two /64s is not captured. What the kernel lists
# equals the JSON export, nft accepts the text export, and `status` finds nothing missing. A /48 next to them (one
# element of its length) stays in the interval map and is decided there.
source "$(dirname "$0")/init_lib.sh"
init_need
ns_topology
MANY=2001:db8:10 OPEN=2001:db8:20
HOSTS=("$MANY::10" "$MANY:2::10" "$MANY:896::10" "$MANY:1::10" "$OPEN:2::10" "2001:db8:30::10")
for h in "${HOSTS[@]}"; do ns_add_host "$NET" "$h"; done
TCP=()
for h in "${HOSTS[@]}"; do TCP+=("[$h]:80" "[$h]:5432"); done
ns_bg "$NET" "$NS_TMP/http.out" python3 "$INIT_ROOT/tests/netns/server.py" --log "$NS_TMP/http.log" "${TCP[@]}" >/dev/null
for h in "${HOSTS[@]}"; do ns_wait_port "$NET" "$h" 80; done

# `many` (Deny, TCPRoute on 5432) owns every other /64 of 2001:db8:10::/48 (i = 0..1099: :0, :2, ... :896),
# `open` (Allow) every other /64 of 2001:db8:20::/48, and `deny48` (Deny) all of 2001:db8:30::/48.
every_other_64() { local i; for i in $(seq 0 1099); do printf '%s:%x::/64\n' "$1" $((2 * i)); done; }
init_policy hash < <(yaml_network many Deny $(every_other_64 "$MANY")
  yaml_network open Allow $(every_other_64 "$OPEN")
  yaml_network deny48 Deny 2001:db8:30::/48
  yaml_route TCPRoute db many:5432 backend=self)
OPTS=(--namespace app --cluster-networks 198.51.100.0/24)

nfe init "$NS_TMP/hash" "${OPTS[@]}" > "$NS_TMP/init.out" 2> "$NS_TMP/init.err" ||
  { cat "$NS_TMP/init.err" >&2; fail "nfegress init"; }
QUEUE=$(sed -n 's/.*queue \(compat\|native\),.*/\1/p' "$NS_TMP/init.out")
in_pod nft list table inet nfegress > "$NS_TMP/listed.nft" 2>/dev/null || fail "nft list"

echo "== the /64s are one hash map, the /48 stays in the interval map"
grep -A3 'map dst6_64 {' "$NS_TMP/listed.nft" > "$NS_TMP/dst6_64.head" || fail "no map dst6_64 in the kernel"
grep -q 'size 4096' "$NS_TMP/dst6_64.head" || fail "dst6_64 has no size 4096: $(cat "$NS_TMP/dst6_64.head")"
grep -q 'flags interval' "$NS_TMP/dst6_64.head" && fail "dst6_64 is an interval map"
grep -q 'ip6 daddr & ffff:ffff:ffff:ffff:: vmap @dst6_64' "$NS_TMP/listed.nft" || fail "no masked lookup rule"
n=$(sed -n '/map dst6_64 {/,/^\t}/p' "$NS_TMP/listed.nft" | grep -o 'goto en_[0-9]*' | wc -l)
expect_eq "elements in dst6_64" 2200 "$n"
sed -n '/map dst6 {/,/^\t}/p' "$NS_TMP/listed.nft" > "$NS_TMP/dst6.nft"
grep -q '2001:db8:30::/48 : goto en_' "$NS_TMP/dst6.nft" || fail "the /48 is not in dst6: $(cat "$NS_TMP/dst6.nft")"
pass "dst6_64: 2200 keys, size 4096, masked lookup; the /48 in dst6"

echo "== decided on the wire"
expect_tcp "many, first /64, no route" refused "$MANY::10" 80
expect_tcp "many, second /64, no route" refused "$MANY:2::10" 80
expect_tcp "many, last /64, no route" refused "$MANY:896::10" 80
expect_tcp "many, TCPRoute port" connected "$MANY:2::10" 5432
expect_tcp "the gap between two /64s: not captured" connected "$MANY:1::10" 80
expect_tcp "open (Allow), hashed" connected "$OPEN:2::10" 80
expect_tcp "deny48 (interval map)" refused 2001:db8:30::10 80
expect_tcp "deny48, port 5432 has no route there" refused 2001:db8:30::10 5432

echo "== the kernel's listing, the exports and status agree"
expect_listing_is_export "$NS_TMP/hash" "$QUEUE" "${OPTS[@]}"
"$BIN" export "$NS_TMP/hash" "${OPTS[@]}" --queue-impl "$QUEUE" --checkable > "$NS_TMP/export.nft" ||
  fail "nfegress export"
in_pod nft -c -f "$NS_TMP/export.nft" 2> "$NS_TMP/nftc.err" || fail "nft -c -f of the export: $(head -5 "$NS_TMP/nftc.err")"
pass "nft -c -f accepts the text export"
nfe status "$NS_TMP/hash" "${OPTS[@]}" > "$NS_TMP/status.out" 2>&1 ||
  { cat "$NS_TMP/status.out" >&2; fail "status after init"; }
pass "status: $(head -1 "$NS_TMP/status.out")"
