#!/usr/bin/env bash
# tests/attack/insertion.sh — TCP insertion (CAP_NET_RAW; found while testing issue 16, not one of its seven): a
# process that writes its own TCP segments (raw IP socket) sends an allowed first flight that the server's TCP
# drops but a reader of the client's packets takes for the stream's first bytes, then the real first flight at the
# same sequence numbers. If the enforcer decides on the decoy, the real bytes leave by the "flow decided" rule.
# The server is made to drop the decoy in three ways: old sequence numbers (the decoy ends where the stream begins:
# a duplicate); at the right sequence numbers, an old TCP timestamp (PAWS, RFC 7323) or a wrong TCP checksum (the
# internet side verifies checksums here as a host behind a real network does). A hop limit that expires on the way
# works the same way on a real network (not tried: one more router namespace). The sink's raw-socket witness shows
# that the decoy reached the host but not the server's socket; what counts is what the server's socket reads (the
# real first flight may still reach the host as a duplicate the server's TCP discards).
source "$(dirname "$0")/lib.sh"
e2e_need init enforce
attack_sandbox
net_verify_checksums

echo "== harness: before nfegress runs, the denied first flight after a decoy reaches the server"
for how in old paws badsum gap; do
  m=$(marker "pre-$how"); attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 443 --tls-decoy allowed.example \
    --insertion $how
  expect_arrived "ClientHello after a decoy ($how), nothing enforced yet" "$m"
done

attack_enforce
# The SYN-ACK anchor (issue 19): on this kernel the enforcer must have it; a kernel without `ct id` says so in a
# warning, and then "gap" is known open again (as before the anchor). Under CI the anchor is required.
ANCHOR=0
if grep -q "SYN-ACK anchor: on" "$NS_TMP/enforce.log"; then ANCHOR=1; pass "the enforcer runs with the SYN-ACK anchor"
elif [ "${CI:-}" == true ]; then fail "the enforcer runs without the SYN-ACK anchor: $(grep -m1 'SYN-ACK anchor' "$NS_TMP/enforce.log")"
else echo "WARNING: no SYN-ACK anchor on this kernel: gap is reported, not asserted" >&2; fi
echo "== controls"
m=$(marker ctl-tls); attack none --marker "$m" tls "$DENY4" allowed.example
expect_arrived "ClientHello SNI allowed.example" "$m"
m=$(marker ctl-raw); attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 80 --evil allowed.example --path /get
expect_arrived "hand-made TCP connection, HTTP Host allowed.example" "$m"

# Known open (docs/security.md, "What stays open"): a decoy at the stream's first bytes that the server drops for
# its TCP timestamp (paws). The enforcer does not see the server's packets, so it cannot mirror what the server's
# TCP accepts; the fix (keep the flow queued until the server acknowledges exactly the decided bytes) is not
# built. It is reported on every run, not asserted: the asserted ones are those nfegress closes (old data ending
# where the stream begins, and a decoy past a handshake ACK the attacker moved forward ("gap"): the server's
# SYN-ACK anchors the stream's start in the kernel, the client's ACK is not taken for it; a bad checksum: the
# accepted copy leaves re-checksummed). Set INSERTION_STRICT=1 to assert them all (the test then fails).
KNOWN_OPEN=()
expect_known_open() {  # WHAT MARKER
  if [ "${INSERTION_STRICT:-0}" == 1 ]; then expect_not_served "$@"; return; fi
  local f; f=$(arrived "$2")
  if [[ " $f" == *" tcp-"* ]]; then KNOWN_OPEN+=("$1"); echo "KNOWN OPEN (CAP_NET_RAW): $1: the server read $2" >&2
  else pass "blocked: $1 (0 bytes of $2 read by the server)"; fi
}

echo "== TCP insertion: a decoy first flight the server drops (CAP_NET_RAW)"
for how in old paws badsum gap; do
  check=expect_not_served
  [ "$how" == badsum ] || [ "$how" == old ] || { [ "$how" == gap ] && [ $ANCHOR == 1 ]; } || check=expect_known_open
  c=$(marker "decoy-$how") m=$(marker "ins-tls-$how")
  attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 443 --tls-decoy allowed.example --insertion $how --control "$c"
  echo "  (the decoy reached: $(arrived "$c"))"
  $check "ClientHello SNI evil.example after a decoy for allowed.example ($how)" "$m"
  c=$(marker "decoy6-$how") m=$(marker "ins-tls6-$how")
  attack net_raw --marker "$m" raw tcp "$POD6" "$DENY6" --port 443 --tls-decoy allowed.example --insertion $how --control "$c"
  $check "ClientHello SNI evil.example after a decoy for allowed.example ($how, IPv6)" "$m"
  c=$(marker "decoyh-$how") m=$(marker "ins-http-$how")
  attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 80 --http-decoy allowed.example --insertion $how --control "$c"
  $check "HTTP Host evil.example after a decoy request for allowed.example ($how)" "$m"
done
echo "known open, reported not asserted: ${#KNOWN_OPEN[@]}"
attack_finish
