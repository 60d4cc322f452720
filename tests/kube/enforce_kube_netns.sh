#!/usr/bin/env bash
# tests/kube/enforce_kube_netns.sh — `nfegress enforce --source kube` follows the API: init and enforce read a
# fake API server (TLS, own CA) on 127.0.0.1 in the pod namespace; the server's objects change (an Allow network
# added, then removed) and each change must be in the kernel ruleset within a second and decide real connections.
source "${NFEGRESS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/netns/init_lib.sh"
init_need
ns_topology
for h in 203.0.113.10 203.0.113.200; do ns_add_host "$NET" "$h"; done
ns_bg "$NET" "$NS_TMP/http.out" python3 "$INIT_ROOT/tests/netns/server.py" --log "$NS_TMP/http.log" \
  203.0.113.10:80 203.0.113.200:80 >/dev/null
ns_wait_port "$NET" 203.0.113.10 80
ns_wait_port "$NET" 203.0.113.200 80
source "$INIT_ROOT/tests/kube/kube_lib.sh"
cd "$NS_TMP" || fail "cd"

DENY='{"apiVersion": "policy.linkerd.io/v1alpha1", "kind": "EgressNetwork",
       "metadata": {"name": "deny", "namespace": "linkerd-egress"},
       "spec": {"trafficPolicy": "Deny", "networks": [{"cidr": "203.0.113.0/24"}]}}'
OPEN='{"apiVersion": "policy.linkerd.io/v1alpha1", "kind": "EgressNetwork",
       "metadata": {"name": "open", "namespace": "linkerd-egress"},
       "spec": {"trafficPolicy": "Allow", "networks": [{"cidr": "203.0.113.128/25"}]}}'
echo "[$DENY]" > objects.json
kube_api_start "$NS_TMP/objects.json"
OPTS=(--source kube --kubeconfig "$KUBECONFIG_FILE" --namespace app --cluster-networks 198.51.100.0/24
      --admin-addr 127.0.0.1:14191)

nfe init "${OPTS[@]:0:8}" > init.out 2> init.err || { cat init.err >&2; fail "init --source kube"; }
ENFORCER=$(ns_bg "$POD" "$NS_TMP/enforce.log" "$BIN" enforce "${OPTS[@]}")
for _ in $(seq 100); do grep -q "ready" enforce.log && break; sleep 0.05; done
grep -q "ready" enforce.log || fail "enforce did not start: $(cat enforce.log)"
expect_tcp "v1: Deny network" refused 203.0.113.200 80
kube_wait_watches  # "within a second" is about a running watch, not about the enforcer's first seconds

# change_reaches_kernel WHAT CHECK...: time from the server's change (SIGHUP) until CHECK succeeds in the pod
change_reaches_kernel() {
  local what=$1; shift
  local start end
  start=$(date +%s%N)
  kill -HUP "$API_PID"
  for _ in $(seq 300); do
    # The listing is captured first: `nft list | grep -q` fails under pipefail when grep exits before nft is done.
    if "$@" <<<"$(in_pod nft list table inet nfegress 2>/dev/null)"; then
      end=$(date +%s%N)
      local ms=$(( (end - start) / 1000000 ))
      [ "$ms" -lt 1000 ] || fail "$what: in the kernel only after $ms ms (want < 1000)"
      pass "$what: in the kernel after $ms ms"
      return
    fi
    sleep 0.01
  done
  fail "$what: never reached the kernel; enforce log: $(tail -5 enforce.log)"
}

echo "[$DENY, $OPEN]" > objects.json
change_reaches_kernel "Allow network added in the API" grep -q "203.0.113.128/25"
expect_tcp "v2: Allow network" connected 203.0.113.200 80
expect_tcp "v2: rest of the Deny network" refused 203.0.113.10 80

echo "[$DENY]" > objects.json
change_reaches_kernel "Allow network deleted in the API" bash -c '! grep -q "203.0.113.128/25"'
expect_tcp "v3: Deny again" refused 203.0.113.200 80
kill -0 "$ENFORCER" || fail "enforcer died"
kill -0 "$API_PID" 2>/dev/null && pass "one list at start-up: $(grep -c 'egressnetworks?limit=' "$NS_TMP/api.log") egressnetworks lists (init + enforce, 2 namespaces each)"
[ "$(grep -c 'namespaces/app/egressnetworks?limit=' "$NS_TMP/api.log")" = 2 ] || fail "enforce listed the API more than once"

echo "== the API server is gone when a new enforcer starts: it does not start on no policy"
ns_stop "$ENFORCER" || fail "the enforcer did not stop"
ns_stop "$API_PID" || fail "the fake API server did not stop"
if nfe enforce "${OPTS[@]}" > enforce2.out 2> enforce2.err; then fail "enforce started without an API server"; fi
grep -q "cannot read the policy from the Kubernetes API" enforce2.err || fail "no clear message: $(cat enforce2.err)"
pass "enforce without API: exit non-zero: $(grep -m1 'cannot read' enforce2.err | cut -c1-160)"
echo "PASS"
