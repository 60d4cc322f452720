#!/usr/bin/env bash
# tests/attack/toctou.sh — bytes changed after the enforcer read them (no privilege; found while testing issue 16,
# not one of its seven; got through on ebe99ba and on the first issue-16 builds). sendfile() sends page-cache pages by reference and MSG_ZEROCOPY the process's own pages:
# the held packet's bytes are copied to the enforcer when it is queued, but the pages are read again when the
# packet finally leaves (here: when veth copies it into the other namespace). The attacker sends an allowed first
# flight and overwrites the file / buffer at once with a denied one of the same length; if the write lands
# between the enforcer's copy and the transmission, the server reads the denied bytes under an allowed verdict.
# It is a race: each way is tried several times, and a single marker at the server is a leak.
source "$(dirname "$0")/lib.sh"
e2e_need init enforce
attack_sandbox
TRIES=${TOCTOU_TRIES:-8}

attack_enforce
echo "== controls"
m=$(marker ctl-http); attack none --marker "$m" http "$DENY4" allowed.example --path /get
expect_arrived "HTTP Host allowed.example /get" "$m"
m=$(marker ctl-tls); attack none --marker "$m" tls "$DENY4" allowed.example
expect_arrived "ClientHello SNI allowed.example" "$m"

echo "== a first flight rewritten after the enforcer read it ($TRIES tries each)"
seen=0
for way in "http 80 --sendfile" "tls 443 --sendfile" "http 80" "tls 443"; do
  set -- $way
  what="$1 via MSG_ZEROCOPY"
  [ -z "${3:-}" ] || what="$1 via sendfile()"
  for i in $(seq "$TRIES"); do
    c=$(marker "toctou-ok") m=$(marker "toctou-$1")
    attack none --marker "$m" zerocopy "$1" "$DENY4" allowed.example evil.example "$c" --port "$2" ${3:-}
    [ -z "$(SETTLE=0 arrived "$c")" ] || seen=$((seen + 1))
    expect_blocked "$what, try $i: the denied first flight written over the allowed one" "$m"
  done
done
# The allowed first flight arrives whenever the write comes too late: the harness sees the race's other outcome.
[ "$seen" -gt 0 ] || fail "not one allowed first flight of the races arrived"
pass "control: $seen allowed first flights of the races arrived unchanged"
attack_finish
