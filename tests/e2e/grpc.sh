#!/usr/bin/env bash
# tests/e2e/grpc.sh — GRPCRoute and HTTP/2 on the wire: a real gRPC client and server (python3-grpcio, cleartext
# HTTP/2) through `nfegress init` + `nfegress enforce`. Every call of a connection is checked, not only the first:
# an allowed call goes through, a later denied call on the same connection resets it, and the denied method never
# reaches the server (the server's call log). HTTP/2 with prior knowledge (curl) on an HTTPRoute port is decided
# by its path. Each result is cross-checked with `nfegress explain`.
source "$(dirname "$0")/lib.sh"
e2e_need init enforce
PY=/usr/bin/python3  # Debian's interpreter: python3-grpcio
"$PY" -c 'import grpc' 2>/dev/null || { [ "${CI:-}" == "true" ] && fail "python3-grpcio is missing"; echo "SKIP: no python3-grpcio"; exit 77; }
e2e_sandbox
e2e_host 203.0.113.50 api.example.com
GRPC_LOG=$NS_TMP/grpc.log
: > "$GRPC_LOG"
ns_bg "$NET" "$NS_TMP/grpc.out" "$PY" "$E2E_ROOT/tests/e2e/grpc_peer.py" server "$GRPC_LOG" \
  203.0.113.50:50051 203.0.113.50:50052 >/dev/null
ns_wait_port "$NET" 203.0.113.50 50051
ns_wait_port "$NET" 203.0.113.50 50052

e2e_policy <<YAML
$(yaml_network all Deny)
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: greeter-hello, namespace: linkerd-egress}
spec:
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all, port: 50051}]
  hostnames: [api.example.com]
  rules:
  - matches: [{method: {service: pkg.Greeter, method: SayHello}}]
$(yaml_route HTTPRoute h2-get all:50052 path=PathPrefix:/pkg.Greeter/SayHello)
YAML
e2e_init app
e2e_enforce_start app

calls() {  # calls METHOD...: one connection from the pod; prints "METHOD RESULT" lines
  in_pod "$PY" "$E2E_ROOT/tests/e2e/grpc_peer.py" client 203.0.113.50:50051 api.example.com "$@" 2>/dev/null
}
reached() { grep -c "^$1\$" "$GRPC_LOG"; }

echo "== GRPCRoute: service pkg.Greeter method SayHello allowed, every other call denied"
out=$(calls /pkg.Greeter/SayHello /pkg.Greeter/SayHello)
expect_eq "two allowed calls on one connection" "/pkg.Greeter/SayHello ok
/pkg.Greeter/SayHello ok" "$out"
expect_eq "the server got both" 2 "$(reached /pkg.Greeter/SayHello)"

out=$(calls /pkg.Greeter/SayHello /pkg.Greeter/SayGoodbye)
expect_eq "allowed first call, same connection" "/pkg.Greeter/SayHello ok" "$(sed -n 1p <<<"$out")"
grep -q "^/pkg.Greeter/SayGoodbye ok" <<<"$out" && fail "a denied second call on an allowed connection succeeded"
pass "denied second call on the same connection: $(sed -n 2p <<<"$out")"
expect_eq "the denied call never reached the server" 0 "$(reached /pkg.Greeter/SayGoodbye)"

out=$(calls /pkg.Admin/Drop)
grep -q "^/pkg.Admin/Drop ok" <<<"$out" && fail "a denied first call succeeded"
pass "denied first call: $out"
expect_eq "the denied first call never reached the server" 0 "$(reached /pkg.Admin/Drop)"

out=$(in_pod "$PY" "$E2E_ROOT/tests/e2e/grpc_peer.py" client 203.0.113.50:50051 other.example.com /pkg.Greeter/SayHello 2>/dev/null)
grep -q " ok$" <<<"$out" && fail "a call with another :authority succeeded"
pass "hostname other than the route's: $out"
expect_eq "server count unchanged" 3 "$(reached /pkg.Greeter/SayHello)"

echo "== HTTP/1.1 on the gRPC port: not HTTP/2, the network's default (Deny)"
# The server speaks first (its HTTP/2 SETTINGS), so curl fails either on those bytes or on the reset: the decision
# log says which it was.
if in_pod curl -s -o /dev/null --max-time 3 http://api.example.com:50051/pkg.Greeter/SayHello; then
  fail "HTTP/1.1 to the GRPCRoute port succeeded"
fi
log_wait "$NS_TMP/enforce.log" '"dst":"203\.0\.113\.50:50051".*"verdict":"deny".*not an HTTP request on port 50051'
awk '/"dst":"203.0.113.50:50051"/ && /"verdict":"deny"/ && /not an HTTP request on port 50051/ {f=1} END {exit !f}' \
  "$NS_TMP/enforce.log" ||
  fail "no 'not an HTTP request' deny in the decision log"
pass "HTTP/1.1 to the GRPCRoute port denied (not HTTP/2: the default decides)"

echo "== HTTP/2 with prior knowledge on an HTTPRoute port: the path decides"
h2() { in_pod curl -s -o /dev/null --max-time 3 --http2-prior-knowledge -X POST -H 'content-type: application/grpc' "$@"; }
h2 http://api.example.com:50052/pkg.Greeter/SayHello || fail "h2c request on an allowed path failed (rc $?)"
pass "h2c POST /pkg.Greeter/SayHello allowed"
before=$(reached /pkg.Admin/Drop)
if h2 http://api.example.com:50052/pkg.Admin/Drop; then fail "h2c request on a denied path succeeded"; fi
pass "h2c POST /pkg.Admin/Drop denied"
expect_eq "the denied h2c request never reached the server" "$before" "$(reached /pkg.Admin/Drop)"

expect_explain allow app 203.0.113.50:50052 --host api.example.com --path /pkg.Greeter/SayHello
expect_explain deny app 203.0.113.50:50052 --host api.example.com --path /pkg.Admin/Drop
log_wait "$NS_TMP/enforce.log" '"protocol":"grpc".*"path":"/pkg\.Greeter/SayHello"'
awk '/"protocol":"grpc"/ && /"path":"\/pkg.Greeter\/SayHello"/ {f=1} END {exit !f}' "$NS_TMP/enforce.log" ||
  fail "no gRPC call in the decision log"
e2e_enforce_stop
echo "PASS"
