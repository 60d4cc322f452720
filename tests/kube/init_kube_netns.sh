#!/usr/bin/env bash
# tests/kube/init_kube_netns.sh — `nfegress init --source kube` programs the kernel from a (fake) Kubernetes API
# server: the fake server (tests/kube/fake_apiserver.py, TLS with a CA made here) runs on 127.0.0.1 inside the
# pod namespace and serves a Deny EgressNetwork and a TCPRoute; after init, a real TCP connection from the pod is
# refused on the Deny port and connects on the TCPRoute port; status agrees; with the API gone, init exits
# non-zero after its retries and leaves the table exactly as it was.
source "${NFEGRESS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/netns/init_lib.sh"
init_need
ns_topology
ns_add_host "$NET" 203.0.113.10
ns_bg "$NET" "$NS_TMP/http.out" python3 "$INIT_ROOT/tests/netns/server.py" --log "$NS_TMP/http.log" \
  203.0.113.10:80 203.0.113.10:5432 >/dev/null
ns_wait_port "$NET" 203.0.113.10 80
ns_wait_port "$NET" 203.0.113.10 5432

source "$INIT_ROOT/tests/kube/kube_lib.sh"
cd "$NS_TMP" || fail "cd"
cat > objects.json <<'JSON'
[{"apiVersion": "policy.linkerd.io/v1alpha1", "kind": "EgressNetwork",
  "metadata": {"name": "deny", "namespace": "linkerd-egress"},
  "spec": {"trafficPolicy": "Deny", "networks": [{"cidr": "203.0.113.0/24"}]}},
 {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute",
  "metadata": {"name": "db", "namespace": "app"},
  "spec": {"parentRefs": [{"name": "deny", "namespace": "linkerd-egress", "kind": "EgressNetwork",
                           "group": "policy.linkerd.io", "port": 5432}],
           "rules": [{"backendRefs": [{"name": "deny", "namespace": "linkerd-egress", "kind": "EgressNetwork",
                                       "group": "policy.linkerd.io", "port": 5432}]}]}}]
JSON
kube_api_start "$NS_TMP/objects.json"
OPTS=(--source kube --kubeconfig "$KUBECONFIG_FILE" --namespace app --cluster-networks 198.51.100.0/24)

expect_tcp "no table yet" connected 203.0.113.10 80
nfe init "${OPTS[@]}" > init.out 2> init.err || { cat init.err >&2; fail "nfegress init --source kube"; }
pass "init --source kube: $(cat init.out)"
expect_tcp "Deny network from the API: port without routes refused" refused 203.0.113.10 80
expect_tcp "TCPRoute from the API: port 5432 connects" connected 203.0.113.10 5432
nfe status "${OPTS[@]}" > status.out 2>&1 || { cat status.out >&2; fail "status --source kube"; }
pass "status --source kube: in sync"

echo "== the API server goes away: init fails loudly and changes nothing"
in_pod nft list table inet nfegress > before.nft 2>/dev/null || fail "nft list"
ns_stop "$API_PID" || fail "the fake API server did not stop"
start=$(date +%s)
if nfe init "${OPTS[@]}" > init2.out 2> init2.err; then fail "init succeeded without an API server"; fi
grep -q "gave up after 6 attempts" init2.err || fail "no clear message: $(cat init2.err)"
pass "init without API: exit non-zero after $(( $(date +%s) - start )) s: $(grep -m1 'Kubernetes API' init2.err)"
in_pod nft list table inet nfegress > after.nft 2>/dev/null || fail "nft list"
cmp -s before.nft after.nft || fail "the failed init changed the table"
pass "table unchanged"
echo "PASS"
