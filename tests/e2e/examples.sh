#!/usr/bin/env bash
# tests/e2e/examples.sh BIN SOURCE_DIR — the shipped examples (deploy/examples/) are valid and mean what the demo,
# README and docs say they mean, checked through `nfegress check` and `nfegress explain` (no root needed):
# Linkerd's documentation example denies everything but TLS to httpbin.org:443; the HTTPRoute example adds
# GET httpbin.org/get... on port 80.
set -uo pipefail
BIN=$1 SRC=$2
EX=$SRC/deploy/examples
fail() { echo "FAIL: $*" >&2; exit 1; }
for s in check explain; do
  "$BIN" $s --help >/dev/null 2>&1 && continue
  [ "${CI:-}" == true ] && fail "nfegress $s is missing from $BIN"
  echo "SKIP: nfegress $s missing" >&2; exit 77
done
"$BIN" check "$EX" || fail "nfegress check deploy/examples"
"$BIN" check "$EX/linkerd-docs-egress.yaml" || fail "the Linkerd documentation example alone does not pass check"
echo "ok: examples pass check"

decision() {  # decision IP:PORT [flags...]
  "$BIN" explain "$EX" --namespace demo --to "$@" --output json | python3 -c '
import json, sys
j = json.load(sys.stdin)
r = j.get("route") or {}
print(j["decision"], j.get("egressNetwork"), r.get("name"))'
}
expect() {  # expect "WANT" IP:PORT [flags...]
  local want=$1 got; shift
  got=$(decision "$@") || fail "explain $*"
  [ "$got" == "$want" ] || fail "explain $*: expected '$want', got '$got'"
  echo "ok: $* -> $got"
}
expect "allow linkerd-egress/all-egress-traffic tls-egress" 203.0.113.10:443 --sni httpbin.org
expect "deny linkerd-egress/all-egress-traffic tls-egress-deny" 203.0.113.20:443 --sni github.com
expect "allow linkerd-egress/all-egress-traffic http-egress" 203.0.113.10:80 --host httpbin.org --path /get --method GET
expect "allow linkerd-egress/all-egress-traffic http-egress" 203.0.113.10:80 --host httpbin.org --path /get/x --method GET
expect "deny linkerd-egress/all-egress-traffic http-egress-deny" 203.0.113.10:80 --host httpbin.org --path /ip --method GET
expect "deny linkerd-egress/all-egress-traffic http-egress-deny" 203.0.113.10:80 --host httpbin.org --path /get --method POST
expect "deny linkerd-egress/all-egress-traffic http-egress-deny" 203.0.113.20:80 --host github.com --path /get --method GET
expect "deny linkerd-egress/all-egress-traffic tcp-egress-deny" 203.0.113.10:8080
echo PASS
