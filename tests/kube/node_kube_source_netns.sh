#!/usr/bin/env bash
# tests/kube/node_kube_source_netns.sh — `nfegress node --source kube` (issue 18): no policy files at all; the
# EgressNetworks and routes of EVERY namespace come from the local fake API server (tests/kube/fake_apiserver.py,
# one cluster-wide list and watch per kind: /apis/GROUP/VERSION/PLURAL), the pods as in node_kube_netns.sh.
# - Nothing is programmed while a kind is still being listed (the TCPRoute list is held 1.5 s): no table from a
#   partial policy; the first table already has the TCPRoutes.
# - Decisions follow each pod's namespace: team-a's own EgressNetwork, team-b's scoped route, the global ones for
#   team-c.
# - A change made on the API server (a global route deleted, a team-a route added) is in the kernel within 2 s
#   (measured), and the newly denied destination gets 0 bytes.
# - A malformed object from the API server keeps the previous ruleset (`nft -s list table` byte-identical) and the
#   log names the object; a node restarted while it is there refuses to start and leaves the table as it was.
source "${NFEGRESS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/netns/node_lib.sh"
ns_require_root
BIN=${NFEGRESS_BIN:?}
node_topology
INIT_ROOT=$NODE_SRC POD=$RT  # kube_lib.sh runs the fake API server in $POD: here the node
source "$NODE_SRC/tests/kube/kube_lib.sh"
cd "$NS_TMP" || fail "cd"

# The policy of tests/data/policies/node-namespaces.yaml as API objects, one JSON object per line, by name.
python3 -c 'import json, sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d: print(d["metadata"]["name"], json.dumps(d))' "$NODE_POLICY" > policy.lines || fail "policy to JSON"
declare -A P
while read -r name obj; do P[$name]=$obj; done < policy.lines
[ "${#P[@]}" -eq 7 ] || fail "expected 7 policy objects, got ${#P[@]}"
pod() {  # pod NS NAME IP
  echo "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"$2\", \"namespace\": \"$1\"},
    \"spec\": {\"nodeName\": \"node-1\"}, \"status\": {\"phase\": \"Running\", \"podIPs\": [{\"ip\": \"$3\"}]}}"
}
PODS="$(pod team-a a1 192.0.2.10), $(pod team-c c1 192.0.2.20), $(pod team-b b1 192.0.2.21)"
serve() {  # serve OBJ...: the API server's objects become the pods and these
  local IFS=,
  echo "[$PODS, $*]" > objects.json
}
serve "${P[internet]}" "${P[tcp-8080]}" "${P[tls-ok]}" "${P[get-only]}" "${P[b-9000]}" "${P[partners]}" \
  "${P[partners-9100]}"
FAKE_API_LIST_DELAY=tcproutes=1.5 kube_api_start "$NS_TMP/objects.json"

start_node() {  # start_node LOG
  ns_bg "$RT" "$NS_TMP/$1" "$BIN" node --source kube --node-name node-1 --kubeconfig "$KUBECONFIG_FILE" \
    --name-binding off --admin-addr 127.0.0.1:14192
}
NODE=$(start_node node.log)
# While the TCPRoute list is held, the EgressNetworks are known but nothing may be programmed.
for _ in $(seq 100); do grep -q 'GET /apis/policy.linkerd.io/v1alpha1/egressnetworks?' api.log && break; sleep 0.02; done
grep -q 'GET /apis/policy.linkerd.io/v1alpha1/egressnetworks?' api.log || fail "the EgressNetworks were not listed"
grep -q 'tcproutes' api.log && fail "the TCPRoute list was answered too early for this check"
grep -q 'table inet nfegress' <<<"$(ip netns exec "$RT" nft list tables)" &&
  fail "a table was programmed before every kind was listed"
pass "EgressNetworks listed, TCPRoutes not yet: nothing programmed"
for _ in $(seq 150); do grep -q ', ready' node.log && break; sleep 0.1; done
grep -q ', ready' node.log || { cat node.log >&2; fail "nfegress node --source kube did not start"; }
grep -q 'policy from the Kubernetes API (all namespaces)' node.log || fail "the start line does not name the source"
grep -q '8080 : accept' <<<"$(ip netns exec "$RT" nft list map inet nfegress global_ports_0)" ||
  fail "the first table lacks the TCPRoute listed last"
pass "started: $(grep ', ready' node.log)"
grep -q '^GET /apis/[^ ]*/namespaces/' api.log && fail "a policy kind was listed per namespace"
pass "policy listed cluster-wide only ($(grep -c '^GET /apis/.*watch=true' api.log) watches so far)"

expect_get "pod team-c/c1 (global): TCPRoute 8080" "$CC" 192.0.2.20 203.0.113.10 8080 allowed
expect_get "pod team-c/c1 (global): Deny on 9100" "$CC" 192.0.2.20 203.0.113.10 9100 denied
expect_get "pod team-a/a1 (its own EgressNetwork): 8080 denied" "$CA" 192.0.2.10 203.0.113.10 8080 denied
expect_get "pod team-a/a1 (its own EgressNetwork): TCPRoute 9100" "$CA" 192.0.2.10 203.0.113.10 9100 allowed
expect_get "pod team-a/a1: the global network is not captured" "$CA" 192.0.2.10 198.51.100.10 9100 allowed
expect_get "pod team-b/b1: its scoped TCPRoute 9000" "$CC" 192.0.2.21 203.0.113.10 9000 allowed
expect_get "pod team-c/c1: team-b's route is not team-c's" "$CC" 192.0.2.20 203.0.113.10 9000 denied
expect_get "pod team-c/c1: HTTP /post (enforcer: 403)" "$CC" 192.0.2.20 203.0.113.10 80 403 /post
kube_wait_watches

# policy_in_kernel WHAT MAP CHECK...: ms from the API change (SIGHUP) until CHECK holds for MAP, < 2000.
policy_in_kernel() {
  local what=$1 map=$2 start ms; shift 2
  start=$(date +%s%N)
  kill -HUP "$API_PID"
  for _ in $(seq 400); do
    if "$@" <<<"$(ip netns exec "$RT" nft list map inet nfegress "$map" 2>/dev/null)"; then
      ms=$(( ($(date +%s%N) - start) / 1000000 ))
      [ "$ms" -lt 2000 ] || fail "$what: in the kernel only after $ms ms (want < 2000)"
      pass "$what: in the kernel after $ms ms"
      return
    fi
    sleep 0.01
  done
  fail "$what: never reached the kernel; node log: $(tail -5 node.log)"
}

serve "${P[internet]}" "${P[tls-ok]}" "${P[get-only]}" "${P[b-9000]}" "${P[partners]}" "${P[partners-9100]}"
policy_in_kernel "global TCPRoute tcp-8080 deleted" global_ports_0 bash -c '! grep -q 8080'
expect_get "pod team-c/c1: 8080 now denied" "$CC" 192.0.2.20 203.0.113.10 8080 denied
expect_get "pod team-b/b1: 8080 now denied too (global route gone)" "$CC" 192.0.2.21 203.0.113.10 8080 denied
expect_get "pod team-b/b1: its own route 9000 still" "$CC" 192.0.2.21 203.0.113.10 9000 allowed
A8080=${P[partners-9100]//partners-9100/partners-8080}
A8080=${A8080//9100/8080}
serve "${P[internet]}" "${P[tls-ok]}" "${P[get-only]}" "${P[b-9000]}" "${P[partners]}" "${P[partners-9100]}" "$A8080"
policy_in_kernel "team-a TCPRoute partners-8080 added" ns_team-a_ports_0 grep -q '8080 : accept'
expect_get "pod team-a/a1: 8080 now allowed" "$CA" 192.0.2.10 203.0.113.10 8080 allowed
expect_get "pod team-c/c1: team-a's new route is not team-c's" "$CC" 192.0.2.20 203.0.113.10 8080 denied
grep 'policy applied (watch)' node.log | grep -q 'table replaced' && fail "a policy change replaced the table"
pass "policy changes were updates, never a table replace"

# A malformed object (spec.networks is not a list): refused whole, the kernel keeps the previous ruleset.
BAD='{"apiVersion": "policy.linkerd.io/v1alpha1", "kind": "EgressNetwork", "metadata": {"name": "bad",
  "namespace": "team-c"}, "spec": {"trafficPolicy": "Deny", "networks": "203.0.113.0/24"}}'
GOOD=("${P[internet]}" "${P[tls-ok]}" "${P[get-only]}" "${P[b-9000]}" "${P[partners]}" "${P[partners-9100]}" "$A8080")
ip netns exec "$RT" nft -s list table inet nfegress > before.nft 2>/dev/null || fail "list"
serve "${GOOD[@]}" "$BAD"
kill -HUP "$API_PID"
for _ in $(seq 200); do grep -q 'kube:team-c/EgressNetwork/bad' node.log && break; sleep 0.02; done
grep -q 'kube:team-c/EgressNetwork/bad:[0-9]*: EgressNetwork team-c/bad: spec.networks' node.log ||
  fail "no error naming the malformed object; node log: $(tail -5 node.log)"
grep -q 'reload (watch) failed, keeping the current policy' node.log || fail "the reload failure is not logged"
sleep 0.3  # anything applied after the refusal would show now
ip netns exec "$RT" nft -s list table inet nfegress > after.nft 2>/dev/null || fail "list"
cmp -s before.nft after.nft || { diff before.nft after.nft >&2; fail "the malformed object changed the table"; }
pass "malformed object refused, kernel table unchanged: $(grep -m1 'kube:team-c/EgressNetwork/bad' node.log)"
expect_get "pod team-c/c1 after the refusal: global plan (9100 denied)" "$CC" 192.0.2.20 203.0.113.10 9100 denied
expect_get "pod team-a/a1 after the refusal: 8080 allowed" "$CA" 192.0.2.10 203.0.113.10 8080 allowed
ns_stop "$NODE" || fail "nfegress node did not stop"

# Restarted while the malformed object is there: it refuses to start and the table stays as it was.
ip netns exec "$RT" timeout 30 "$BIN" node --source kube --node-name node-1 --kubeconfig "$KUBECONFIG_FILE" \
  --name-binding off --admin-addr 127.0.0.1:14192 > restart.log 2>&1 && fail "started with a malformed object"
grep -q 'kube:team-c/EgressNetwork/bad' restart.log || fail "the refusal does not name the object: $(cat restart.log)"
ip netns exec "$RT" nft -s list table inet nfegress > restart.nft 2>/dev/null || fail "list"
cmp -s before.nft restart.nft || fail "a refused start changed the table"
pass "restart with the malformed object refused, table unchanged: $(tail -1 restart.log)"
echo PASS
