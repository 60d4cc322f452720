#!/usr/bin/env bash
# tests/e2e/bad_manifest.sh — an invalid manifest pushed during live reload: the enforcer keeps running with the
# old policy (allowed stays allowed, denied stays denied, nothing programmed changes), and the error is reported
# (enforcer log names the problem; `nfegress check` exits 1). A good manifest afterwards is applied.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policies.sh"
e2e_need init enforce check
policies_sandbox

e2e_policy <<<"$P_HTTPBIN"
e2e_init app
e2e_enforce_start app
long_client_start tls --addr 203.0.113.10 --port 443 --host httpbin.org --tls "$CERT"
# The programmed table without the elements the kernel adds itself (the SYN-ACK anchor's set `first`: one per
# connection made in between); its declaration is compared.
programmed() { ip netns exec "$POD" nft -s list table inet nfegress | awk '
  /^\tset first \{/ {inset = 1} inset && /elements = / {skip = 1} inset && /^\t\}/ {inset = 0; skip = 0}
  !skip {print} skip && /\}$/ {skip = 0}'; }
programmed > "$NS_TMP/table.before" || fail "nft list table"

echo "== an invalid policy is pushed (file change + SIGHUP)"
e2e_policy <<<"$P_BAD"
kill -HUP "$ENFORCER"
"$BIN" check "$POLICY" > "$NS_TMP/check.out" 2>&1
expect_eq "nfegress check rejects the bad manifest (exit code)" 1 "$?"
for _ in $(seq 50); do grep -q "does not include exception" "$NS_TMP/enforce.log" && break; sleep 0.1; done
grep -q "does not include exception" "$NS_TMP/enforce.log" ||
  { tail -20 "$NS_TMP/enforce.log" >&2; fail "the enforcer did not report the validation error"; }
pass "the enforcer reported the validation error"
sleep 1
kill -0 "$ENFORCER" 2>/dev/null || fail "the enforcer exited on a bad manifest"
expect_outcome "old policy kept: TLS httpbin.org allowed" allow https://httpbin.org/get
expect_outcome "old policy kept: TLS github.com denied" deny https://github.com/
expect_outcome "old policy kept: HTTP /ip denied" deny http://github.com/ip
programmed > "$NS_TMP/table.after"
cmp -s "$NS_TMP/table.before" "$NS_TMP/table.after" || { diff "$NS_TMP/table.before" "$NS_TMP/table.after" | head >&2; fail "the programmed table changed"; }
pass "the programmed table is unchanged"

echo "== a good policy afterwards is applied"
e2e_policy <<<"$P_GITHUB"
kill -HUP "$ENFORCER"
wait_outcome "new policy: TLS github.com allowed" allow https://github.com/
expect_outcome "new policy: TLS httpbin.org denied" deny https://httpbin.org/get
long_client_stop tls
e2e_enforce_stop
echo "PASS"
