#!/usr/bin/env bash
# tests/kube/node_kube_netns.sh — node mode (issue 18) with Kubernetes: `nfegress node` in a "node" namespace
# routing for two "pod" namespaces (tests/netns/node_lib.sh), this node's pods listed and watched from the local
# fake API server (tests/kube/fake_apiserver.py: /api/v1/pods with fieldSelector spec.nodeName). Decisions follow
# each pod's namespace; host-network, finished and other nodes' pods are not clients; a pod added, an address
# changed and a pod deleted reach the kernel within 1 s and decide real connections; a pod with NET_ADMIN and
# NET_RAW (SO_MARK, packet-socket frames) still gets 0 bytes to denied destinations. With `--deny-unknown node`
# (this Node's spec.podCIDRs, GET /api/v1/nodes/node-1), a pod not yet listed gets 0 bytes, and its namespace's
# policy once its address arrives; a Node without podCIDRs (node-2) fails the start with an error.
source "${NFEGRESS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/netns/node_lib.sh"
ns_require_root
BIN=${NFEGRESS_BIN:?}
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
node_topology
for a in 192.0.2.22 192.0.2.23 192.0.2.24; do ip -n "$CC" addr add "$a/28" dev c0; done
INIT_ROOT=$NODE_SRC POD=$RT  # kube_lib.sh runs the fake API server in $POD: here the node
source "$NODE_SRC/tests/kube/kube_lib.sh"
cd "$NS_TMP" || fail "cd"

pod() {  # pod NS NAME NODE PHASE HOSTNET IP...
  local ns=$1 name=$2 node=$3 phase=$4 hostnet=$5 ips="" ip; shift 5
  for ip in "$@"; do ips+="${ips:+, }{\"ip\": \"$ip\"}"; done
  echo "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"$name\", \"namespace\": \"$ns\"},
    \"spec\": {\"nodeName\": \"$node\", \"hostNetwork\": $hostnet},
    \"status\": {\"phase\": \"$phase\", \"podIPs\": [$ips]}}"
}
A1=$(pod team-a a1 node-1 Running false 192.0.2.10 2001:db8:a::10)
C1=$(pod team-c c1 node-1 Running false 192.0.2.20 2001:db8:c::20)
B1=$(pod team-b b1 node-1 Running false 192.0.2.21)
HOSTNET=$(pod kube-system proxy node-1 Running true 192.0.2.17)
OTHER=$(pod team-a elsewhere node-2 Running false 192.0.2.22)
DONE=$(pod team-a done node-1 Succeeded false 192.0.2.23)
# The Node objects (cluster-scoped): node-1 with its pod ranges (dual-stack), node-2 without (Calico IPAM style).
N1='{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
  "spec": {"podCIDR": "192.0.2.16/28", "podCIDRs": ["192.0.2.16/28", "2001:db8:c::/64"]}}'
N2='{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-2"}, "spec": {"providerID": "test://node-2"}}'
echo "[$N1, $N2, $A1, $C1, $B1, $HOSTNET, $OTHER, $DONE]" > objects.json
kube_api_start "$NS_TMP/objects.json"

NODE=$(ns_bg "$RT" "$NS_TMP/node.log" "$BIN" node "$NODE_POLICY" --node-name node-1 --kubeconfig "$KUBECONFIG_FILE" \
  --name-binding off --admin-addr 127.0.0.1:14191)
for i in $(seq 100); do grep -q ', ready' node.log && break; sleep 0.1; done
grep -q ', ready' node.log || { cat node.log >&2; fail "nfegress node did not start"; }
pass "nfegress node started: $(grep ', ready' node.log)"
grep -q 'fieldSelector=spec.nodeName%3Dnode-1' api.log || fail "the pods were not listed with the node's field selector"

expect_get "pod team-c/c1: TCPRoute 8080" "$CC" 192.0.2.20 203.0.113.10 8080 allowed
expect_get "pod team-a/a1: its own Deny EgressNetwork" "$CA" 192.0.2.10 203.0.113.10 8080 denied
expect_get "pod team-a/a1: its own TCPRoute 9100" "$CA" 192.0.2.10 203.0.113.10 9100 allowed
expect_get "pod team-a/a1 IPv6: not captured for team-a" "$CA" 2001:db8:a::10 2001:db8:5::10 9100 allowed
expect_get "pod team-c/c1 IPv6: global Deny" "$CC" 2001:db8:c::20 2001:db8:5::10 9100 denied
expect_get "pod team-b/b1: its scoped TCPRoute 9000" "$CC" 192.0.2.21 203.0.113.10 9000 allowed
expect_get "pod team-c/c1: team-b's route is not team-c's" "$CC" 192.0.2.20 203.0.113.10 9000 denied
expect_get "pod team-c/c1: HTTP /post (enforcer: 403)" "$CC" 192.0.2.20 203.0.113.10 80 403 /post
expect_get "another node's pod (192.0.2.22): not a client here" "$CC" 192.0.2.22 203.0.113.10 9100 allowed
expect_get "a finished pod's address (192.0.2.23): not a client" "$CC" 192.0.2.23 203.0.113.10 9100 allowed
ip netns exec "$RT" nft list map inet nfegress clients4 > clients4.txt
grep -q '192.0.2.17' clients4.txt && fail "the host-network pod's address is a client"
pass "host-network pod not enforced (192.0.2.17 is no client)"
kube_wait_watches

# change_in_kernel WHAT CHECK...: ms from the API change (SIGHUP) until CHECK holds for the clients map, < 1000.
change_in_kernel() {
  local what=$1 start end ms; shift
  start=$(date +%s%N)
  kill -HUP "$API_PID"
  for _ in $(seq 300); do
    if "$@" <<<"$(ip netns exec "$RT" nft list map inet nfegress clients4 2>/dev/null)"; then
      end=$(date +%s%N)
      ms=$(( (end - start) / 1000000 ))
      [ "$ms" -lt 1000 ] || fail "$what: in the kernel only after $ms ms (want < 1000)"
      pass "$what: in the kernel after $ms ms"
      return
    fi
    sleep 0.01
  done
  fail "$what: never reached the kernel; node log: $(tail -5 node.log)"
}

C2=$(pod team-c c2 node-1 Running false 192.0.2.22)
echo "[$N1, $N2, $A1, $C1, $B1, $HOSTNET, $DONE, $C2]" > objects.json  # elsewhere gone, c2 started here with its address
change_in_kernel "pod team-c/c2 started (192.0.2.22)" grep -q '192.0.2.22 : goto global'
expect_get "pod team-c/c2: global Deny on 9100" "$CC" 192.0.2.22 203.0.113.10 9100 denied
B1=$(pod team-b b1 node-1 Running false 192.0.2.24)
echo "[$N1, $N2, $A1, $C1, $B1, $HOSTNET, $DONE, $C2]" > objects.json
change_in_kernel "pod team-b/b1 moved 192.0.2.21 -> 192.0.2.24" \
  bash -c 'x=$(cat); [[ $x == *"192.0.2.24 : goto ns_team-b"* && $x != *"192.0.2.21 "* ]]'
expect_get "pod team-b/b1 at its new address: 9000" "$CC" 192.0.2.24 203.0.113.10 9000 allowed
expect_get "pod team-b/b1 at its new address: 9100" "$CC" 192.0.2.24 203.0.113.10 9100 denied
expect_get "b1's old address: no client any more" "$CC" 192.0.2.21 203.0.113.10 9100 allowed
echo "[$N1, $N2, $C1, $B1, $HOSTNET, $DONE, $C2]" > objects.json
change_in_kernel "pod team-a/a1 deleted" bash -c '! grep -q "192.0.2.10"'
grep 'policy applied (pods)' node.log | grep -q 'table replaced' && fail "a pod change replaced the table"
pass "pod changes were updates, never a table replace (last: $(grep 'policy applied (pods)' node.log | tail -1 | cut -d: -f3-))"

# The pod holds NET_ADMIN and NET_RAW in its own namespace.
m=$(node_marker mark)
node_attack "$CC" net_admin,net_raw --marker "$m" tcp 203.0.113.10 9100 --mark 0x00100000
[ -z "$(node_arrived "$m")" ] || fail "SO_MARK ALLOW got through"
RMAC=$(ip -n "$RT" -br link show rc | awk '{print $3}')
m=$(node_marker pkt)
node_attack "$CC" net_raw --marker "$m" packet c0 "$RMAC" tcp 192.0.2.20 203.0.113.10 --port 9100
[ -z "$(node_arrived "$m")" ] || fail "a packet-socket TCP connection to a denied port got through"
ip netns exec "$CC" setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all,+net_admin \
  --ambient-caps=+net_admin --bounding-set=-all,+net_admin nft flush ruleset || fail "flush"
expect_get "pod team-c/c1 after flushing its own ruleset" "$CC" 192.0.2.20 203.0.113.10 9100 denied
pass "forged mark, packet-socket frames, flushed ruleset: 0 bytes"
ns_stop "$NODE" || fail "nfegress node did not stop"

# --deny-unknown node on a Node without podCIDRs: the start fails, saying to give the CIDR; nothing programmed.
ip netns exec "$RT" nft delete table inet nfegress 2>/dev/null
if ip netns exec "$RT" "$BIN" node "$NODE_POLICY" --node-name node-2 --kubeconfig "$KUBECONFIG_FILE" \
  --name-binding off --admin-addr 127.0.0.1:14191 --deny-unknown node > node-nocidr.log 2>&1; then
  fail "nfegress node --deny-unknown node started on a Node without podCIDRs"
fi
grep -q 'Node node-2 has no spec.podCIDRs or spec.podCIDR.*give this node.s pod CIDR(s) as --deny-unknown CIDR' \
  node-nocidr.log || { cat node-nocidr.log >&2; fail "no clear error for a Node without podCIDRs"; }
ip netns exec "$RT" nft list table inet nfegress >/dev/null 2>&1 && fail "a table was programmed without the ranges"
pass "Node without podCIDRs: start refused ($(grep -o 'Node node-2 has no[^(]*' node-nocidr.log))"

# ... and on a Node whose podCIDRs its pods are not in (the CNI allocates elsewhere, e.g. Calico IPAM): refused.
echo "[${N1//192.0.2.16\/28/198.51.100.0/24}, $N2, $C1, $B1, $HOSTNET, $DONE, $C2]" > objects.json
kill -HUP "$API_PID"; sleep 0.5
if ip netns exec "$RT" "$BIN" node "$NODE_POLICY" --node-name node-1 --kubeconfig "$KUBECONFIG_FILE" \
  --name-binding off --admin-addr 127.0.0.1:14191 --deny-unknown node > node-outside.log 2>&1; then
  fail "nfegress node --deny-unknown node started with pods outside the Node's podCIDRs"
fi
grep -q 'pod address(es) of this node lie outside its spec.podCIDRs.*192.0.2.20/32 (Pod team-c/c1)' node-outside.log ||
  { cat node-outside.log >&2; fail "no clear error for pods outside the Node's podCIDRs"; }
ip netns exec "$RT" nft list table inet nfegress >/dev/null 2>&1 && fail "a table was programmed (pods outside)"
pass "pods outside the Node's podCIDRs: start refused ($(grep -o '[0-9]* pod address(es)[^:]*' node-outside.log))"
echo "[$N1, $N2, $C1, $B1, $HOSTNET, $DONE, $C2]" > objects.json
kill -HUP "$API_PID"; sleep 0.5

# --deny-unknown node: the ranges from the Node object; a pod whose address the watch has not delivered yet is
# denied, not unjudged.
ip -n "$CC" addr add 192.0.2.25/28 dev c0
watches=$(grep -c 'watch=true' api.log)
NODE=$(ns_bg "$RT" "$NS_TMP/node2.log" "$BIN" node "$NODE_POLICY" --node-name node-1 --kubeconfig "$KUBECONFIG_FILE" \
  --name-binding off --admin-addr 127.0.0.1:14191 --deny-unknown node)
for i in $(seq 100); do grep -q ', ready' node2.log && break; sleep 0.1; done
grep -q ', ready' node2.log || { cat node2.log >&2; fail "nfegress node --deny-unknown node did not start"; }
grep -q 'GET /api/v1/nodes/node-1 200' api.log || fail "the Node was not read (GET /api/v1/nodes/node-1)"
grep -q -- '--deny-unknown node: Node node-1: spec.podCIDRs 192.0.2.16/28, 2001:db8:c::/64' node2.log ||
  { cat node2.log >&2; fail "the Node's podCIDRs were not logged"; }
grep -q '192.0.2.16/28' <<<"$(ip netns exec "$RT" nft list set inet nfegress unknown4)" || fail "unknown4 lacks 192.0.2.16/28"
grep -q '2001:db8:c::/64' <<<"$(ip netns exec "$RT" nft list set inet nfegress unknown6)" || fail "unknown6 lacks 2001:db8:c::/64"
pass "--deny-unknown node: read $(grep -o 'spec.podCIDRs .*' node2.log) into unknown4/unknown6"
for i in $(seq 100); do [ "$(grep -c 'watch=true' api.log)" -gt "$watches" ] && break; sleep 0.05; done
expect_get "a pod not listed yet (192.0.2.25, in the Node's podCIDRs): 8080" "$CC" 192.0.2.25 203.0.113.10 8080 denied
expect_get "pod team-b/b1 (192.0.2.24, in the Node's podCIDRs): its route 9000" "$CC" 192.0.2.24 203.0.113.10 9000 allowed
C3=$(pod team-c c3 node-1 Running false 192.0.2.25)
echo "[$N1, $N2, $C1, $B1, $HOSTNET, $DONE, $C2, $C3]" > objects.json
change_in_kernel "pod team-c/c3 listed (192.0.2.25)" grep -q '192.0.2.25 : goto global'
expect_get "pod team-c/c3 once listed: TCPRoute 8080" "$CC" 192.0.2.25 203.0.113.10 8080 allowed
ns_stop "$NODE" || fail "nfegress node --deny-unknown did not stop"
echo PASS
