#!/usr/bin/env bash
# tests/netns/gateway_clients.sh — gateway mode (issue 18): `--clients-file` is watched. `nfegress gateway` in a
# router namespace (tests/netns/node_lib.sh); the clients file rewritten (editor style: a new file renamed over
# it) to move a client from team-b to team-c reaches the kernel as a small update (no table replace) within 1 s
# and the new decision holds (0 bytes at the server to team-b's port, now denied); a malformed file is logged with
# its file:line and changes nothing (`nft -s list table` identical, the previous decision still enforced); a fixed
# file is applied again.
source "$(dirname "$0")/node_lib.sh"
ns_require_root
BIN=${NFEGRESS_BIN:?}
command -v nft >/dev/null || fail "nft is missing"

F=$NS_TMP/clients.txt
printf '# gateway clients\n192.0.2.20=team-c\n192.0.2.21=team-b\n' > "$F"
node_topology
GW=$(ns_bg "$RT" "$NS_TMP/gateway.log" "$BIN" gateway "$NODE_POLICY" --clients-file "$F" --name-binding off)
for _ in $(seq 100); do grep -q ', ready' "$NS_TMP/gateway.log" && break; sleep 0.1; done
grep -q ', ready' "$NS_TMP/gateway.log" || { cat "$NS_TMP/gateway.log" >&2; fail "nfegress gateway did not start"; }
expect_get "192.0.2.21 (team-b): its scoped TCPRoute 9000" "$CC" 192.0.2.21 203.0.113.10 9000 allowed
expect_get "192.0.2.20 (team-c): team-b's route is not team-c's" "$CC" 192.0.2.20 203.0.113.10 9000 denied

clients4() { ip netns exec "$RT" nft list map inet nfegress clients4 2>/dev/null; }
# Move 192.0.2.21 to team-c: written to a temporary file and renamed over the watched one.
printf '# gateway clients\n192.0.2.20=team-c\n192.0.2.21=team-c\n' > "$F.new"
start=$(date +%s%N)
mv "$F.new" "$F"
for _ in $(seq 300); do
  [[ $(clients4) == *"192.0.2.21 : goto global"* ]] && break
  sleep 0.01
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[[ $(clients4) == *"192.0.2.21 : goto global"* ]] || fail "the moved client never reached the kernel: $(tail -3 "$NS_TMP/gateway.log")"
[ "$ms" -lt 1000 ] || fail "the moved client reached the kernel only after $ms ms (want < 1000)"
pass "192.0.2.21 moved to team-c: in the kernel after $ms ms"
expect_get "192.0.2.21 now team-c: team-b's route 9000" "$CC" 192.0.2.21 203.0.113.10 9000 denied
expect_get "192.0.2.21 now team-c: TCPRoute 8080" "$CC" 192.0.2.21 203.0.113.10 8080 allowed
grep -q 'clients reloaded (file change): 2 client(s)' "$NS_TMP/gateway.log" || fail "the reload was not logged"
line=$(grep 'policy applied (clients)' "$NS_TMP/gateway.log" | tail -1)
[ -n "$line" ] || fail "no 'policy applied (clients)' line: $(tail -3 "$NS_TMP/gateway.log")"
[[ $line == *"table replaced"* ]] && fail "a clients change replaced the table: $line"
pass "a small update, not a table replace ($(cut -d: -f3- <<<"$line"))"

# Malformed (line 3), with a change on line 2 that must not be half-applied: nothing changes.
before=$(ip netns exec "$RT" nft -s list table inet nfegress 2>/dev/null)
printf '# gateway clients\n192.0.2.20=team-a\nnot-a-client\n192.0.2.21=team-b\n' > "$F"
for _ in $(seq 200); do grep -q 'clients not reloaded' "$NS_TMP/gateway.log" && break; sleep 0.01; done
grep -q "clients.txt:3: 'not-a-client' is not CIDR=NAMESPACE" "$NS_TMP/gateway.log" ||
  { tail -5 "$NS_TMP/gateway.log" >&2; fail "the malformed file was not logged with its file:line"; }
grep -q 'clients not reloaded (file change): 1 error(s); the previous 2 client(s) stay in force' "$NS_TMP/gateway.log" ||
  fail "no 'clients not reloaded' line"
sleep 0.5  # would a (wrong) apply have come, it would be in the kernel by now
[ "$before" == "$(ip netns exec "$RT" nft -s list table inet nfegress 2>/dev/null)" ] ||
  { diff <(echo "$before") <(ip netns exec "$RT" nft -s list table inet nfegress) >&2; fail "a malformed file changed the table"; }
pass "malformed clients file: logged with file:line, the table unchanged (nft -s list table identical)"
expect_get "192.0.2.21 still team-c: 9000" "$CC" 192.0.2.21 203.0.113.10 9000 denied
expect_get "192.0.2.20 still team-c (not team-a): 8080" "$CC" 192.0.2.20 203.0.113.10 8080 allowed

# Fixed: applied (192.0.2.21 back to team-b).
printf '# gateway clients\n192.0.2.20=team-c\n192.0.2.21=team-b\n' > "$F"
for _ in $(seq 300); do [[ $(clients4) == *"192.0.2.21 : goto ns_team-b"* ]] && break; sleep 0.01; done
[[ $(clients4) == *"192.0.2.21 : goto ns_team-b"* ]] || fail "the fixed file was not applied"
expect_get "192.0.2.21 team-b again: 9000" "$CC" 192.0.2.21 203.0.113.10 9000 allowed
ns_stop "$GW" || fail "nfegress gateway did not stop"
echo PASS
