#!/usr/bin/env bash
# tests/e2e/restart.sh — the enforcer is killed (SIGKILL) and restarted. While it is down, new flows that need a
# hostname decision must not pass (fail-closed: no answer, never an unchecked connection); an allowed TLS
# connection decided before the kill keeps working throughout (its decision lives in the conntrack mark); after
# the restart new connections are decided again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policies.sh"
e2e_need init enforce
policies_sandbox

e2e_policy <<<"$P_HTTPBIN"
e2e_init app
e2e_enforce_start app
long_client_start tls --addr 203.0.113.10 --port 443 --host httpbin.org --tls "$CERT"

echo "== enforcer killed"
e2e_enforce_stop KILL
got=$(outcome https://httpbin.org/get)
[ "$got" != allow ] || fail "with the enforcer down a new TLS connection got through (not fail-closed)"
pass "enforcer down: new TLS connection to httpbin.org does not pass ($got)"
before=$(bytes_seen 203.0.113.20:80)
got=$(outcome http://github.com/get)
[ "$got" != allow ] || fail "with the enforcer down a new HTTP request got through"
expect_eq "enforcer down: no byte of a held HTTP request reached the server" "$before" "$(bytes_seen 203.0.113.20:80)"
n=$(long_client_count tls); sleep 1
[ "$(long_client_count tls)" -gt "$n" ] || fail "the established TLS connection stopped while the enforcer was down"
pass "established TLS connection keeps transferring while the enforcer is down"

echo "== enforcer restarted"
e2e_enforce_start app
expect_outcome "restarted: new TLS httpbin.org allowed" allow https://httpbin.org/get
expect_outcome "restarted: new TLS github.com denied" deny https://github.com/
expect_outcome "restarted: HTTP GET /get allowed" allow http://github.com/get
long_client_stop tls
e2e_enforce_stop
echo "PASS"
