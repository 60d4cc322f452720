#!/usr/bin/env bash
# tests/kube/kube_lib.sh — sourced by the tests/kube/*_netns.sh scenarios (after tests/netns/init_lib.sh and
# ns_topology): a fake Kubernetes API server inside the pod namespace.
#
#   kube_api_start OBJECTS.json   CA + server certificate (openssl CLI), fake_apiserver.py on 127.0.0.1 in $POD
#                                 serving the objects, a kubeconfig ($KUBECONFIG_FILE, token file $NS_TMP/token);
#                                 $API_PID is the server (SIGHUP: re-read OBJECTS.json, events for the changes)
#   kube_wait_watches             waits (up to 10 s) until a watch is open on every resource path that was listed
#                                 (a GET of one Node, `--deny-unknown node`, is no list)
KUBE_DIR=$INIT_ROOT/tests/kube

kube_api_start() {
  local objects=$1 d=$NS_TMP/api
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" \
    -days 1 -subj /CN=test-ca 2>/dev/null || fail "CA"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/srv.key" -out "$d/srv.csr" \
    -subj /CN=kube-apiserver 2>/dev/null || fail "server key"
  echo "subjectAltName=IP:127.0.0.1" > "$d/san.ext"
  openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -out "$d/srv.crt" \
    -days 1 -extfile "$d/san.ext" 2>/dev/null || fail "server cert"
  echo -n t1 > "$NS_TMP/token"
  API_PID=$(ns_bg "$POD" "$NS_TMP/api.log" python3 "$KUBE_DIR/fake_apiserver.py" "$d/srv.crt" "$d/srv.key" \
    "$d/port" t1 "$objects")
  local i
  for i in $(seq 50); do [ -s "$d/port" ] && break; sleep 0.1; done
  [ -s "$d/port" ] || fail "fake API server did not start: $(cat "$NS_TMP/api.log")"
  KUBECONFIG_FILE=$NS_TMP/kubeconfig
  cat > "$KUBECONFIG_FILE" <<EOF2
apiVersion: v1
kind: Config
current-context: test
contexts: [{name: test, context: {cluster: fake, user: nfegress}}]
clusters: [{name: fake, cluster: {server: "https://127.0.0.1:$(cat "$d/port")", certificate-authority: api/ca.crt}}]
users: [{name: nfegress, user: {tokenFile: token}}]
EOF2
}

kube_wait_watches() {  # the server prints "GET PATH?QUERY CODE" per request to $NS_TMP/api.log
  local lists watches i
  for i in $(seq 200); do
    lists=$(awk '$1 == "GET" && $2 !~ /watch=true/ && $2 !~ /^\/api\/v1\/nodes\// {sub(/\?.*/, "", $2); print $2}' "$NS_TMP/api.log" | sort -u)
    watches=$(awk '$1 == "GET" && $2 ~ /watch=true/ {sub(/\?.*/, "", $2); print $2}' "$NS_TMP/api.log" | sort -u)
    [ -n "$lists" ] && [ "$lists" = "$watches" ] && return 0
    sleep 0.05
  done
  fail "the enforcer did not open a watch on every listed resource: lists [$lists] watches [$watches]"
}
