#!/usr/bin/env bash
# tests/e2e/reload.sh — live reload while traffic flows. Two long-lived connections are open when the policy
# changes: a TLS connection to httpbin.org (decided once, by SNI) and an HTTP keep-alive connection whose requests
# stay allowed. Neither may be cut by the reload; new connections must follow the new policy. Reload both by
# SIGHUP and by a change to the manifest files.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policies.sh"
e2e_need init enforce
policies_sandbox

e2e_policy <<<"$P_HTTPBIN"
e2e_init app
e2e_enforce_start app
expect_outcome "before: TLS httpbin.org allowed" allow https://httpbin.org/get
expect_outcome "before: TLS github.com denied" deny https://github.com/
long_client_start tls --addr 203.0.113.10 --port 443 --host httpbin.org --tls "$CERT"
long_client_start http --addr 203.0.113.20 --port 80 --host github.com --path /get

echo "== reload by SIGHUP: TLS now only to github.com"
e2e_policy <<<"$P_GITHUB"
kill -HUP "$ENFORCER"
wait_outcome "after SIGHUP: new TLS github.com allowed" allow https://github.com/
expect_outcome "after SIGHUP: new TLS httpbin.org denied" deny https://httpbin.org/get
expect_outcome "after SIGHUP: HTTP GET /get still allowed" allow http://httpbin.org/get
n=$(long_client_count tls); sleep 1
[ "$(long_client_count tls)" -gt "$n" ] || fail "the established TLS connection stopped making progress"
pass "established TLS connection to httpbin.org still transfers after the reload"

echo "== reload by a file change (no signal): back to httpbin.org"
e2e_policy <<<"$P_HTTPBIN"
wait_outcome "after file change: new TLS httpbin.org allowed" allow https://httpbin.org/get
expect_outcome "after file change: new TLS github.com denied" deny https://github.com/
kill -0 "$ENFORCER" || fail "enforcer died during the reloads"

long_client_stop tls
long_client_stop http
e2e_enforce_stop
echo "PASS"
