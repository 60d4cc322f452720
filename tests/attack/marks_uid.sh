#!/usr/bin/env bash
# tests/attack/marks_uid.sh — issue 16, leaks 1 and 2: a forged packet mark (SO_MARK, CAP_NET_RAW since Linux
# 5.17) set to nfegress's ALLOW bit or to PASS (3 x --mark-base), on a socket and per packet (the SO_MARK control
# message); and a process that switches to the UID nfegress used to exempt (2103, CAP_SETUID). Each must reach
# nothing the policy denies: an HTTP request for another Host on the allowed port, TCP to a port with no route,
# UDP to the Deny network. The server records every byte; each attempt carries its own marker.
source "$(dirname "$0")/lib.sh"
e2e_need init enforce
attack_sandbox
ALLOW=0x00100000 PASS=0x00300000  # the default --mark-base and 3 x it

echo "== harness: before nfegress runs, the same techniques reach the server"
m=$(marker pre-mark-udp); attack net_raw --marker "$m" udp "$DENY4" 5353 --mark "$ALLOW"
expect_arrived "UDP with SO_MARK, nothing enforced yet" "$m"
m=$(marker pre-cmsg); attack net_raw --marker "$m" udp "$DENY6" 5353 --cmsg-mark "$PASS"
expect_arrived "UDP with the SO_MARK control message, nothing enforced yet" "$m"
m=$(marker pre-uid); attack setuid --marker "$m" http "$DENY4" evil.example --setuid 2103
expect_arrived "HTTP after setuid(2103), nothing enforced yet" "$m"

attack_enforce
echo "== controls: allowed traffic still arrives"
m=$(marker ctl-http); attack none --marker "$m" http "$DENY4" allowed.example --path /get
expect_arrived "HTTP Host allowed.example /get" "$m"
m=$(marker ctl-http6); attack none --marker "$m" http "$DENY6" allowed.example --path /get
expect_arrived "HTTP Host allowed.example /get over IPv6" "$m"
m=$(marker ctl-udp-open); attack none --marker "$m" udp "$OPEN6" 5353
expect_arrived "UDP to the Allow network" "$m"
m=$(marker ctl-uid); attack setuid --marker "$m" http "$DENY4" allowed.example --path /get --setuid 2103
expect_arrived "HTTP Host allowed.example as uid 2103" "$m"
echo "== without a trick the same requests are denied"
m=$(marker base-http); attack none --marker "$m" http "$DENY4" evil.example
expect_blocked "HTTP Host evil.example" "$m"
m=$(marker base-udp); attack none --marker "$m" udp "$DENY4" 5353
expect_blocked "UDP to the Deny network" "$m"

echo "== leak 1: SO_MARK forged to ALLOW and to PASS (CAP_NET_RAW)"
for name in ALLOW PASS; do
  mark=${!name}
  m=$(marker "mark-$name-http"); attack net_raw --marker "$m" http "$DENY4" evil.example --mark "$mark"
  expect_blocked "SO_MARK $name: HTTP Host evil.example on the allowed port" "$m"
  m=$(marker "mark-$name-http6"); attack net_raw --marker "$m" http "$DENY6" evil.example --mark "$mark"
  expect_blocked "SO_MARK $name: HTTP Host evil.example over IPv6" "$m"
  m=$(marker "mark-$name-tcp"); attack net_raw --marker "$m" tcp "$DENY4" 9999 --mark "$mark"
  expect_blocked "SO_MARK $name: TCP to a port with no route" "$m"
  m=$(marker "mark-$name-udp"); attack net_raw --marker "$m" udp "$DENY4" 5353 --mark "$mark"
  expect_blocked "SO_MARK $name: UDP to the Deny network" "$m"
  m=$(marker "mark-$name-udp6"); attack net_raw --marker "$m" udp "$DENY6" 5353 --mark "$mark"
  expect_blocked "SO_MARK $name: UDP to the Deny network over IPv6" "$m"
  m=$(marker "mark-$name-cmsg"); attack net_raw --marker "$m" udp "$DENY4" 5353 --cmsg-mark "$mark"
  expect_blocked "SO_MARK $name as a per-packet control message: UDP" "$m"
done

echo "== leak 2: setuid to the formerly exempt UID 2103 (CAP_SETUID)"
m=$(marker uid-http); attack setuid --marker "$m" http "$DENY4" evil.example --setuid 2103
expect_blocked "uid 2103: HTTP Host evil.example" "$m"
m=$(marker uid-tcp); attack setuid --marker "$m" tcp "$DENY4" 9999 --setuid 2103
expect_blocked "uid 2103: TCP to a port with no route" "$m"
m=$(marker uid-udp); attack setuid --marker "$m" udp "$DENY6" 5353 --setuid 2103
expect_blocked "uid 2103: UDP to the Deny network" "$m"
attack_finish
