#!/usr/bin/env bash
# tests/netns/init_lib.sh — sourced by tests/netns/init_*.sh: the kernel-only scenarios of `nfegress init`,
# `status` and `reset` (no enforcer). Builds on lib.sh (namespaces, cleanup, skip rules).
#
#   init_need                      root + the nfegress binary ($BIN), else skip (77) / fail under CI=true
#   init_policy NAME < YAML        write $NS_TMP/NAME/policy.yaml; its directory is printed as $POL_<NAME>
#   nfe ARGS...                    nfegress ARGS... inside the pod
#   expect_tcp WHAT WANT ADDR PORT connect from the pod; WANT connected|refused|timeout. `refused` must also
#                                  come back in under 1 s (a reset, not a timeout)
#   expect_udp WHAT WANT ADDR PORT one datagram from the pod to a probe.py udp-echo; WANT reply|dropped
#   udp_seen SPEC                  datagrams the echo server on SPEC received so far
#   expect_listing_is_export DIR QUEUE OPTS...
#                                  `nft -j list table inet nfegress` (+ table netdev nfegress, the egress guard) in
#                                  the pod equals `nfegress export DIR OPTS --queue-impl QUEUE --format json` run in
#                                  the pod (handles and metainfo left out, object kinds in nft's listing order; the
#                                  guard chain's devices and the realm name nft 1.0.6 prints normalised)
source "${NFEGRESS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/netns/lib.sh"
INIT_ROOT=${NFEGRESS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${NFEGRESS_BIN:-$INIT_ROOT/build/nfegress}
PROBE=$INIT_ROOT/tests/netns/probe.py

init_need() {
  ns_require_root
  if [ ! -x "$BIN" ]; then
    if [ "${CI:-}" == "true" ]; then echo "FAIL: no nfegress binary at $BIN" >&2; exit 1; fi
    echo "SKIP: no nfegress binary at $BIN" >&2
    exit 77
  fi
}

init_policy() {  # init_policy NAME < YAML
  mkdir -p "$NS_TMP/$1"
  cat > "$NS_TMP/$1/policy.yaml" || fail "writing policy $1"
}

nfe() { in_pod "$BIN" "$@"; }

expect_tcp() {  # expect_tcp WHAT WANT ADDR PORT
  local out word ms
  out=$(in_pod python3 "$PROBE" tcp "$3" "$4" 2)
  word=${out% *} ms=${out#* }
  expect_eq "$1 ($3 port $4, ${ms} ms)" "$2" "$word"
  if [ "$2" == refused ] && [ "$ms" -ge 1000 ]; then fail "$1: refused only after $ms ms (want < 1000)"; fi
}

udp_seen() { grep -c "^$1 " "$NS_TMP/udp.log" 2>/dev/null; }

expect_udp() {  # expect_udp WHAT WANT ADDR PORT   (WANT reply | dropped)
  local spec=$3:$4 before out word
  [[ $3 == *:* ]] && spec="[$3]:$4"
  before=$(udp_seen "$spec")
  out=$(in_pod python3 "$PROBE" udp "$3" "$4" 1)
  word=${out% *}
  if [ "$2" == dropped ]; then
    # Dropped in OUTPUT: sendto fails with EPERM (or the datagram vanishes); the server must see nothing.
    [[ $word == error:EPERM || $word == noreply ]] || fail "$1: expected the datagram dropped, got $word"
    expect_eq "$1: server received nothing" "$before" "$(udp_seen "$spec")"
  else
    expect_eq "$1 ($spec)" "$2" "$word"
  fi
}

expect_listing_is_export() {  # expect_listing_is_export DIR QUEUE OPTS...
  local dir=$1 queue=$2; shift 2
  in_pod nft -j list table inet nfegress > "$NS_TMP/listed.json" 2>/dev/null || fail "nft -j list"
  # The egress guard (table netdev nfegress) when init programmed it: export lists it for this namespace's
  # interfaces, so it runs in the pod.
  in_pod nft -j list table netdev nfegress > "$NS_TMP/listed-guard.json" 2>/dev/null || echo '{"nftables": []}' > "$NS_TMP/listed-guard.json"
  in_pod "$BIN" export "$dir" "$@" --queue-impl "$queue" --format json > "$NS_TMP/export.json" 2>/dev/null || fail "nfegress export"
  python3 - "$NS_TMP/listed.json" "$NS_TMP/export.json" "$NS_TMP/listed-guard.json" <<'PY' || fail "the kernel's listing differs from the export"
import json, sys
def norm(*paths):
    rank = lambda o: {"table": 0, "set": 1, "map": 1, "chain": 2}.get(next(iter(o)), 3)
    out = []
    for path in paths:
        for o in json.load(open(path))["nftables"]:
            if "metainfo" in o:
                continue
            body = next(iter(o.values()))
            body.pop("handle", None)
            # nft 1.0.6 leaves a netdev chain's devices out of its JSON listing; export names them ("dev").
            if "chain" in o and body.get("family") == "netdev":
                body.pop("dev", None)
            # nft prints a route realm by its name from /etc/iproute2/rt_realms (0: "cosmos"); export the number.
            for e in body.get("expr", []):
                m = e.get("match", {})
                if m.get("left") == {"meta": {"key": "rtclassid"}} and isinstance(m.get("right"), str):
                    m["right"] = 0
            out.append(o)
    return sorted(out, key=rank)  # stable: the order inside each kind is kept
a, b = norm(sys.argv[1], sys.argv[3]), norm(sys.argv[2])
if a != b:
    for x, y in zip(a, b):
        if x != y:
            print("kernel:", json.dumps(x)[:2000], "\nexport:", json.dumps(y)[:2000], file=sys.stderr)
            break
    print("kernel objects:", len(a), "export objects:", len(b), file=sys.stderr)
    sys.exit(1)
PY
  pass "nft -j list table inet nfegress == nfegress export --format json"
}
