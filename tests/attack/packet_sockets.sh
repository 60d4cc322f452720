#!/usr/bin/env bash
# tests/attack/packet_sockets.sh — issue 16, leak 3: frames written to an AF_PACKET socket (CAP_NET_RAW) never
# pass the inet output hook. UDP datagrams and a whole TCP connection crafted by hand (SYN, ACK, then an HTTP
# request for a denied Host), over IPv4 and IPv6, with and without PACKET_QDISC_BYPASS; and a frame written to
# `lo` while the pod forwards (ip_forward=1, as pods inherit it from the node): the kernel receives it on lo and
# forwards it out of the pod without the output chain (a one-way datagram from a spoofed pod-subnet source).
source "$(dirname "$0")/lib.sh"
e2e_need init enforce
attack_sandbox
in_pod sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || fail "forwarding sysctls"
LO=00:00:00:00:00:00
# A frame on lo with one of the pod's own addresses as source is dropped as martian (accept_local=0); any other
# source is forwarded. The attacker sends one way (exfiltration needs no answer) from an unused pod-subnet address.
SPOOF4=192.0.2.77 SPOOF6=2001:db8:1::77

echo "== harness: before nfegress runs, the frames reach the server"
m=$(marker pre-pkt-udp); attack net_raw --marker "$m" packet vp0 "$GW_MAC" udp "$POD4" "$DENY4" --port 5353
expect_arrived "AF_PACKET UDP, nothing enforced yet" "$m"
m=$(marker pre-pkt-tcp); attack net_raw --marker "$m" packet vp0 "$GW_MAC" tcp "$POD4" "$DENY4" --port 80
expect_arrived "AF_PACKET TCP connection, nothing enforced yet" "$m"
m=$(marker pre-pkt-tcp6); attack net_raw --marker "$m" packet vp0 "$GW_MAC" tcp "$POD6" "$DENY6" --port 80
expect_arrived "AF_PACKET TCP connection over IPv6, nothing enforced yet" "$m"
m=$(marker pre-lo); attack net_raw --marker "$m" packet lo "$LO" udp "$SPOOF4" "$DENY4" --port 5353
expect_arrived "AF_PACKET frame on lo, forwarded, nothing enforced yet" "$m"

attack_enforce
echo "== controls"
m=$(marker ctl-http); attack none --marker "$m" http "$DENY4" allowed.example --path /get
expect_arrived "HTTP Host allowed.example /get" "$m"
m=$(marker ctl-udp-open); attack none --marker "$m" udp "$OPEN4" 5353
expect_arrived "UDP socket to the Allow network" "$m"

echo "== leak 3: AF_PACKET frames (CAP_NET_RAW)"
for bypass in "" --bypass; do
  what="AF_PACKET${bypass:+ + PACKET_QDISC_BYPASS}"
  m=$(marker "pkt-udp${bypass#--}"); attack net_raw --marker "$m" packet vp0 "$GW_MAC" udp "$POD4" "$DENY4" --port 5353 $bypass
  expect_blocked "$what: UDP to the Deny network" "$m"
  m=$(marker "pkt-udp6${bypass#--}"); attack net_raw --marker "$m" packet vp0 "$GW_MAC" udp "$POD6" "$DENY6" --port 5353 $bypass
  expect_blocked "$what: UDP to the Deny network over IPv6" "$m"
  m=$(marker "pkt-tcp${bypass#--}"); attack net_raw --marker "$m" packet vp0 "$GW_MAC" tcp "$POD4" "$DENY4" --port 80 $bypass
  expect_blocked "$what: TCP connection, HTTP Host evil.example" "$m"
  m=$(marker "pkt-tcp6${bypass#--}"); attack net_raw --marker "$m" packet vp0 "$GW_MAC" tcp "$POD6" "$DENY6" --port 9999 $bypass
  expect_blocked "$what: TCP connection over IPv6 to a port with no route" "$m"
done
m=$(marker pkt-dhcp); attack net_raw --marker "$m" packet vp0 "$GW_MAC" udp "$POD4" "$DENY4" --port 67 --sport 68
expect_blocked "AF_PACKET: UDP 68 -> 67 (the DHCP ports) to an address of the Deny network" "$m"
m=$(marker pkt-lo); attack net_raw --marker "$m" packet lo "$LO" udp "$SPOOF4" "$DENY4" --port 5353
expect_blocked "AF_PACKET frame on lo, forwarded (ip_forward=1): UDP" "$m"
m=$(marker pkt-lo6); attack net_raw --marker "$m" packet lo "$LO" udp "$SPOOF6" "$DENY6" --port 5353
expect_blocked "AF_PACKET frame on lo, forwarded (IPv6 forwarding): UDP" "$m"
m=$(marker pkt-lo-open); attack net_raw --marker "$m" packet lo "$LO" udp "$SPOOF4" "$OPEN4" --port 5353
expect_blocked "AF_PACKET frame on lo, forwarded: UDP even to the Allow network (forwarding is not the pod's egress)" "$m"

echo "== closed: ordinary sockets bound to lo (SO_BINDTODEVICE, no privilege) while the pod forwards"
m=$(marker bind-lo-udp); attack none --bind-dev lo --marker "$m" udp "$DENY4" 5353
expect_blocked "UDP socket bound to lo, to the Deny network" "$m"
m=$(marker bind-lo-http); attack none --bind-dev lo --marker "$m" http "$DENY4" evil.example
expect_blocked "TCP socket bound to lo, HTTP Host evil.example" "$m"
m=$(marker bind-lo-udp6); attack none --bind-dev lo --marker "$m" udp "$DENY6" 5353
expect_blocked "UDP socket bound to lo, to the Deny network over IPv6" "$m"
attack_finish
