#!/usr/bin/env bash
# tests/e2e/small_writes.sh — issue 19, "no stall": a first flight written in small pieces is decided as soon as it
# is complete. Real first flights (tests/data/first-flights) are written 1, 7 and 400 bytes at a time with
# TCP_NODELAY, and 7 and 400 without (2, 5, 20 ms apart; a few over IPv6 too), from the pod to a server in the "internet" namespace (tests/e2e/small_writes_peer.py). Allowed: the server receives every byte within
# SMALL_WRITES_MAX_MS (100) of the client's last write (both namespaces share CLOCK_MONOTONIC). Denied: the server
# receives 0 bytes. Latencies are printed as `latency WHAT SIZE NODELAY MS` for docs/performance.md.
source "$(dirname "$0")/lib.sh"
e2e_need init enforce
e2e_sandbox
DATA=$E2E_ROOT/tests/data/first-flights
MAX_MS=${SMALL_WRITES_MAX_MS:-100}
NAMES=(openssl.tls.example chromium.tls.example python.tls.example curl.http.example wget.http.example)
e2e_host 203.0.113.10 "${NAMES[@]}"
e2e_host 2001:db8:ff::10 "${NAMES[@]}"
LOG=$NS_TMP/peer.log
: > "$LOG"
WAIT=${SMALL_WRITES_WAIT:-3}  # s the server waits for a first byte (8 to see how late the old enforcer decided)
ns_bg "$NET" "$NS_TMP/peer.out" python3 "$E2E_ROOT/tests/e2e/small_writes_peer.py" server "$LOG" "$WAIT" \
  203.0.113.10:443 203.0.113.10:8080 "[2001:db8:ff::10]:443" "[2001:db8:ff::10]:8080" >/dev/null
_e2e_wait_all 203.0.113.10:443 203.0.113.10:8080 "[2001:db8:ff::10]:443" "[2001:db8:ff::10]:8080"
OPTS=(--cluster-networks 198.51.100.0/24)
# Explicit networks: a network-less Deny would also capture ::/0 and drop the pod's IPv6 neighbour discovery.
e2e_policy < <(yaml_network all Deny 203.0.113.0/24 2001:db8:ff::/48
  yaml_route HTTPRoute web all:8080 hostnames=curl.http.example backend=self
  yaml_route TLSRoute tls all:443 hostnames=openssl.tls.example,chromium.tls.example backend=self)
e2e_init app
e2e_enforce_start app
in_pod getent hosts openssl.tls.example curl.http.example >/dev/null || fail "names do not resolve in the pod"

FAILED=""  # every case runs (the latencies are the measurement); the test fails at the end
sw_client() { in_pod "$@"; }
source "$E2E_ROOT/tests/e2e/small_writes_lib.sh"
for nd_size in "1 1" "1 7" "1 400" "0 7" "0 400"; do
  read -r nodelay size <<< "$nd_size"
  hello=openssl.tls.bin  # 325 bytes; in 400-byte writes Chromium's 1,928 (X25519MLKEM768, more than one segment)
  [ "$size" == 400 ] && hello=chromium.tls.bin
  echo "== writes of $size bytes, TCP_NODELAY=$nodelay"
  one_case "TLS allowed ($hello, $size-byte writes, nodelay=$nodelay)" "$hello" 443 "$size" "$nodelay" allow
  one_case "HTTP allowed ($size-byte writes, nodelay=$nodelay)" curl.http.bin 8080 "$size" "$nodelay" allow
  one_case "TLS denied ($size-byte writes, nodelay=$nodelay)" python.tls.bin 443 "$size" "$nodelay" deny
  one_case "HTTP denied ($size-byte writes, nodelay=$nodelay)" wget.http.bin 8080 "$size" "$nodelay" deny
done
echo "== a write larger than the MSS (a GSO packet), then the rest"
python3 - "$DATA/chromium.tls.bin" "$NS_TMP/denied.tls.bin" <<'PY' || fail "a denied variant of chromium.tls.bin"
import sys
b = open(sys.argv[1], "rb").read()
assert b.count(b"chromium.tls.example") >= 1
open(sys.argv[2], "wb").write(b.replace(b"chromium.tls.example", b"chromiun.tls.example"))  # same length
PY
one_case "TLS allowed (chromium.tls.bin, 1500-byte writes, nodelay=1)" chromium.tls.bin 443 1500 1 allow
one_case "TLS denied (Chromium's ClientHello for chromiun.tls.example, 1500-byte writes)" "$NS_TMP/denied.tls.bin" 443 \
  1500 1 deny
echo "== IPv6"
SERVER=2001:db8:ff::10
one_case "IPv6 TLS allowed (7-byte writes, nodelay=1)" openssl.tls.bin 443 7 1 allow
one_case "IPv6 HTTP allowed (1-byte writes, nodelay=0)" curl.http.bin 8080 1 0 allow
one_case "IPv6 TLS denied (7-byte writes, nodelay=1)" python.tls.bin 443 7 1 deny
one_case "IPv6 HTTP denied (7-byte writes, nodelay=0)" wget.http.bin 8080 7 0 deny
e2e_enforce_stop
[ -z "$FAILED" ] || fail "$(echo -e "cases that failed:$FAILED")"
