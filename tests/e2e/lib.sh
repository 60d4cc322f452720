#!/usr/bin/env bash
# tests/e2e/lib.sh — sourced by the end-to-end scenarios. Builds on tests/netns/lib.sh (namespaces, cleanup,
# skip rules): a pod and an "internet" with HTTP and TLS test servers, policy files, `nfegress init` and
# `nfegress enforce` inside the pod, and client checks that classify what the wire did. Documentation addresses
# only; nothing leaves the test's own namespaces.
#
#   e2e_need SUB...              skip (77) unless these subcommands exist in $BIN; under CI=true fail instead
#   e2e_sandbox                  topology + certificate ($CERT/$KEY, SANs: httpbin.org, github.com, *.example.com)
#   e2e_host ADDR [NAME...]      an address in the internet namespace, names resolvable in the pod
#   e2e_http ADDR:PORT... / e2e_tls ADDR:PORT...   start servers (logs $NS_TMP/http.log / tls.log)
#   e2e_policy < YAML            replace the policy directory's content ($POLICY) with one file
#   e2e_init NS                  nfegress init in the pod ($OPTS = compile options, $KOPTS = kernel options;
#                                $EOPTS = options of enforce alone)
#   e2e_enforce_start NS / e2e_enforce_stop [SIGNAL]   the enforcer in the pod ($ENFORCER = its pid)
#   outcome CURL_ARGS...         prints allow | deny | timeout | error:RC for one curl request from the pod
#   expect_outcome WHAT WANT CURL_ARGS...   assert the outcome
#   expect_explain WANT NS IP:PORT [explain flags...]   assert explain's decision (skipped when no explain)
#   bytes_seen LISTEN [LOG]      bytes the HTTP server (or the server logging to LOG) received so far on ADDR:PORT
#   policy YAML for e2e_policy: yaml_network and yaml_route of tests/netns/lib.sh, e.g.
#     e2e_policy < <(yaml_network all Deny; yaml_route TLSRoute tls all:443 hostnames=httpbin.org)
source "${NFEGRESS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/netns/lib.sh"
E2E_ROOT=${NFEGRESS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${NFEGRESS_BIN:-$E2E_ROOT/build/nfegress}
POLICY=$NS_TMP/policy
ADMIN=127.0.0.1:4191
OPTS=()
KOPTS=()
EOPTS=()  # options of `enforce` alone
ENFORCER=""
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-3}

ns_require_root

e2e_need() {
  local s
  for s in "$@"; do
    "$BIN" "$s" --help >/dev/null 2>&1 && continue
    if [ "${CI:-}" == "true" ]; then echo "FAIL: nfegress $s is missing from $BIN" >&2; exit 1; fi
    echo "SKIP: nfegress $s is missing from $BIN" >&2
    exit 77
  done
}

e2e_sandbox() {
  ns_topology
  CERT=$NS_TMP/cert.pem KEY=$NS_TMP/key.pem
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=nfegress e2e" \
    -addext "subjectAltName=DNS:httpbin.org,DNS:github.com,DNS:example.com,DNS:*.example.com,DNS:a.b.example.com" \
    -keyout "$KEY" -out "$CERT" 2>/dev/null || fail "openssl req"
  mkdir -p "$POLICY"
}

e2e_host() { ns_add_host "$NET" "$@"; }

_e2e_wait_all() {
  local hp host port
  for hp in "$@"; do
    port=${hp##*:}; host=${hp%:*}; host=${host#[}; host=${host%]}
    ns_wait_port "$NET" "$host" "$port"
  done
}
e2e_http() { ns_bg "$NET" "$NS_TMP/http.out" python3 "$E2E_ROOT/tests/netns/server.py" --log "$NS_TMP/http.log" "$@" >/dev/null; _e2e_wait_all "$@"; }
e2e_tls() { ns_bg "$NET" "$NS_TMP/tls.out" python3 "$E2E_ROOT/tests/netns/server.py" --log "$NS_TMP/tls.log" --tls "$CERT" "$KEY" "$@" >/dev/null; _e2e_wait_all "$@"; }

e2e_policy() {  # stdin -> the only file of $POLICY, replaced atomically (a reload never sees half a file)
  cat > "$NS_TMP/policy.new" || fail "writing policy"
  rm -f "$POLICY"/*.yaml
  mv "$NS_TMP/policy.new" "$POLICY/policy.yaml"
}

e2e_init() {
  local ns=$1
  in_pod "$BIN" init "$POLICY" --namespace "$ns" "${OPTS[@]}" "${KOPTS[@]}" > "$NS_TMP/init.out" 2>&1 ||
    { cat "$NS_TMP/init.out" >&2; fail "nfegress init --namespace $ns"; }
}

e2e_enforce_start() {
  local ns=$1 i
  ENFORCER=$(ns_bg "$POD" "$NS_TMP/enforce.log" "$BIN" enforce "$POLICY" --namespace "$ns" "${OPTS[@]}" "${KOPTS[@]}" \
    "${EOPTS[@]}")
  for i in $(seq 100); do
    in_pod curl -s -o /dev/null --max-time 1 "http://$ADMIN/ready" && return 0
    kill -0 "$ENFORCER" 2>/dev/null || { tail -20 "$NS_TMP/enforce.log" >&2; fail "nfegress enforce exited"; }
    sleep 0.1
  done
  tail -20 "$NS_TMP/enforce.log" >&2
  fail "nfegress enforce not ready after 10 s"
}

e2e_enforce_stop() {
  [ -n "$ENFORCER" ] || return 0
  ns_stop "$ENFORCER" "${1:-TERM}" || fail "enforcer $ENFORCER did not stop"
  ENFORCER=""
}

outcome() {
  local code rc
  code=$(in_pod curl -sS -o /dev/null -w '%{http_code}' --max-time "$CLIENT_TIMEOUT" --cacert "$CERT" "$@" 2>/dev/null)
  rc=$?
  if [ $rc == 0 ] && [ "$code" == 200 ]; then echo allow
  elif [ "$code" == 403 ]; then echo deny
  elif [ $rc == 7 ] || [ $rc == 35 ] || [ $rc == 52 ] || [ $rc == 56 ]; then echo deny
  elif [ $rc == 28 ]; then echo timeout
  else echo "error:$rc"; fi
}

expect_outcome() {  # expect_outcome WHAT WANT CURL_ARGS...
  local what=$1 want=$2; shift 2
  expect_eq "$what" "$want" "$(outcome "$@")"
}

# Poll until a request gives WANT (a reload takes effect asynchronously); fail after 10 s.
wait_outcome() {  # wait_outcome WHAT WANT CURL_ARGS...
  local what=$1 want=$2 got i; shift 2
  for i in $(seq 20); do
    got=$(outcome "$@")
    [ "$got" == "$want" ] && { pass "$what"; return 0; }
    sleep 0.5
  done
  fail "$what: expected '$want' within 10 s, still '$got'"
}

expect_explain() {  # expect_explain WANT NS IP:PORT [flags...]
  local want=$1 ns=$2; shift 2
  if ! "$BIN" explain --help >/dev/null 2>&1; then echo "note: explain missing, not cross-checked: $*"; return 0; fi
  local got
  got=$("$BIN" explain "$POLICY" --namespace "$ns" "${OPTS[@]}" --to "$@" --output json 2>"$NS_TMP/explain.err" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("decision"))' 2>/dev/null)
  [ -n "$got" ] || { cat "$NS_TMP/explain.err" >&2; fail "explain $*: no JSON"; }
  expect_eq "explain $ns -> $*" "$want" "$got"
}

bytes_seen() {  # bytes_seen LISTEN [LOG]: total bytes a server got on LISTEN (default the HTTP server's log), after a settle
  sleep 0.3
  python3 - "${2:-$NS_TMP/http.log}" "$1" <<'PY'
import json, sys
total = 0
try:
    for line in open(sys.argv[1]):
        if not line.endswith("\n"):
            continue  # being written right now
        j = json.loads(line)
        if j["listen"] == sys.argv[2]:
            total += j["bytes"]
except FileNotFoundError:
    pass
print(total)
PY
}

# expect_denied_silently WHAT LISTEN CURL_ARGS...: denied, and the server received no byte of it
expect_denied_silently() {
  local what=$1 listen=$2 before after; shift 2
  before=$(bytes_seen "$listen")
  expect_outcome "$what" deny "$@"
  after=$(bytes_seen "$listen")
  expect_eq "$what: bytes reaching the server" "$before" "$after"
}

# long_client_start NAME CLIENT_ARGS...: one keep-alive connection from the pod (tests/e2e/client.py), requests
# every 0.2 s until long_client_stop NAME; the connection is open when this returns.
long_client_start() {
  local name=$1 i; shift
  rm -f "$NS_TMP/client-$name.stop"
  local pid
  pid=$(ns_bg "$POD" "$NS_TMP/client-$name.log" python3 "$E2E_ROOT/tests/e2e/client.py" --stop "$NS_TMP/client-$name.stop" "$@")
  eval "LONG_PID_$name=$pid"
  for i in $(seq 50); do
    grep -q '^ok 2$' "$NS_TMP/client-$name.log" 2>/dev/null && return 0
    grep -q '^error' "$NS_TMP/client-$name.log" 2>/dev/null && break
    sleep 0.1
  done
  cat "$NS_TMP/client-$name.log" >&2
  fail "long connection $name did not start"
}

# long_client_stop NAME: stop it, and fail unless every request on that one connection succeeded
long_client_stop() {
  local name=$1 pid n
  pid=$(eval "echo \$LONG_PID_$name")
  touch "$NS_TMP/client-$name.stop"
  local i
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  n=$(grep -c '^ok' "$NS_TMP/client-$name.log")
  grep -q '^done$' "$NS_TMP/client-$name.log" || { tail -3 "$NS_TMP/client-$name.log" >&2; fail "long connection $name was cut after $n requests"; }
  pass "long connection $name survived ($n requests on one connection)"
}

# long_client_count NAME: successful requests so far (to see that it makes progress)
long_client_count() { grep -c '^ok' "$NS_TMP/client-$1.log"; }
