#!/usr/bin/env bash
# tests/attack/streams.sh — issue 16, leaks 5, 6 and 7 and the closed routes of the same kind, all without any
# privilege (uid 1000, no capability): what a process can do with ordinary TCP sockets to make the enforcer and
# the server read different things, or to skip the enforcer.
#   5  HTTP Upgrade the server refuses (200, not 101), then a request for another Host on the same connection
#   6  TCP urgent data (MSG_OOB) inside an allowed request: the server's TCP removes the urgent byte
#      (SO_OOBINLINE off), the enforcer keeps it, so their lengths differ and the server reads a hidden request
#   7  conntrack reuse: an allowed TLS connection the server resets, then a new connection from the same source
#      port whose ClientHello names a denied host
#   closed: urgent data in a first flight; two server_name extensions, or two names in one; HTTP smuggling on
#      the allowed Host (second Host, absolute-form URI, Content-Length against Transfer-Encoding, two
#      Content-Length, a denied request pipelined behind an allowed one in the same segment), as the first request
#      and after an allowed one; HTTP/2 with prior knowledge: a denied :authority, in a second stream (its own
#      segment or the allowed one's), a Host header against :authority, an :authority in a CONTINUATION frame.
source "$(dirname "$0")/lib.sh"
e2e_need init enforce
attack_sandbox
HELLO=python
[ -f "$FLIGHTS/chromium.tls.bin" ] && HELLO=$FLIGHTS/chromium.tls.bin

echo "== harness: before nfegress runs, the techniques reach the server"
m=$(marker pre-up); attack none --marker "$m" upgrade "$DENY4" allowed.example evil.example "$(marker ctl)"
expect_arrived "request after a refused Upgrade, nothing enforced yet" "$m"
m=$(marker pre-oob); attack none --marker "$m" oob "$DENY4" allowed.example evil.example "$(marker ctl)" body
expect_arrived "request hidden by an urgent byte, nothing enforced yet" "$m"
grep -q "^evil.example /$m" "$SINK/requests.log" || fail "the server did not read the hidden request as a request"
pass "harness: the server reads the hidden request as its own request (Host evil.example)"
m=$(marker pre-reuse); attack none --marker "$m" reuse "$DENY4" allowed.example evil.example "$(marker ctl)" \
  --hello "$HELLO"
expect_arrived "second connection from the same port, nothing enforced yet" "$m"

attack_enforce
echo "== controls"
m=$(marker ctl-http); attack none --marker "$m" http "$DENY4" allowed.example --path /get
expect_arrived "HTTP Host allowed.example /get" "$m"
m=$(marker ctl-tls); attack none --marker "$m" tls "$DENY4" allowed.example --hello "$HELLO"
expect_arrived "ClientHello SNI allowed.example (${HELLO##*/})" "$m"
m=$(marker ctl-tls-py); attack none --marker "$m" tls "$DENY4" allowed.example
expect_arrived "ClientHello SNI allowed.example (Python ssl)" "$m"
m=$(marker deny-tls); attack none --marker "$m" tls "$DENY4" "$m.evil.example"
expect_blocked "ClientHello SNI evil.example" "$m"

echo "== leak 5: HTTP Upgrade refused by the server, then another Host"
c=$(marker up-ctl) m=$(marker up)
attack none --marker "$m" upgrade "$DENY4" allowed.example evil.example "$c"
expect_arrived "the allowed Upgrade request itself" "$c"
expect_blocked "request for evil.example after a refused Upgrade" "$m"
m=$(marker up-crlf); attack none --marker "$m" upgrade "$DENY4" allowed.example evil.example "$(marker c)" --lead '\r\n'
expect_blocked "request for evil.example after a refused Upgrade and an empty line (servers skip it)" "$m"
c=$(marker up6-ctl) m=$(marker up6)
attack none --marker "$m" upgrade "$DENY6" allowed.example evil.example "$c"
expect_blocked "request for evil.example after a refused Upgrade (IPv6)" "$m"

echo "== leak 6: TCP urgent data inside an allowed request"
c=$(marker oob-ctl) m=$(marker oob-body)
attack none --marker "$m" oob "$DENY4" allowed.example evil.example "$c" body
expect_arrived "the allowed head before the urgent byte" "$c"
expect_blocked "request hidden by an urgent byte in a chunk size" "$m"
c=$(marker oob2-ctl) m=$(marker oob-second)
attack none --marker "$m" oob "$DENY4" allowed.example evil.example "$c" second
expect_blocked "request hidden by an urgent byte in a second request's Content-Length" "$m"

echo "== leak 7: conntrack entry reused after the server's reset"
c=$(marker reuse-ctl) m=$(marker reuse)
attack none --marker "$m" reuse "$DENY4" allowed.example evil.example "$c" --hello "$HELLO"
expect_arrived "the allowed ClientHello the server resets" "$c"
expect_blocked "ClientHello for a denied name from the same source port (${HELLO##*/})" "$m"
c=$(marker reuse6-ctl) m=$(marker reuse6)
attack none --marker "$m" reuse "$DENY6" allowed.example evil.example "$c"
expect_blocked "ClientHello for a denied name from the same source port (IPv6, Python ssl)" "$m"

echo "== closed: urgent data in a first flight"
m=$(marker oob-first); attack none --marker "$m" oob "$DENY4" allowed.example evil.example "$(marker c)" first
expect_blocked "request hidden by an urgent byte in the first request's Content-Length" "$m"

echo "== closed: two server names"
m=$(marker sni-two-ext); attack none --marker "$m" tls "$DENY4" "allowed.example,$m.evil.example" --two-ext
expect_blocked "two server_name extensions (allowed first)" "$m"
m=$(marker sni-two-ext-r); attack none --marker "$m" tls "$DENY4" "$m.evil.example,allowed.example" --two-ext
expect_blocked "two server_name extensions (denied first)" "$m"
m=$(marker sni-two-names); attack none --marker "$m" tls "$DENY4" "allowed.example,$m.evil.example"
expect_blocked "two names in one server_name extension" "$m"
m=$(marker sni-two-names-c); attack none --marker "$m" tls "$DENY4" "allowed.example,$m.evil.example" \
  --hello "$HELLO"
expect_blocked "two names in one server_name extension (${HELLO##*/})" "$m"

echo "== closed: HTTP request smuggling on the allowed Host"
for v in two-host absolute cl-te te-cl te-obfuscated two-cl pipeline; do
  m=$(marker "sm-$v"); attack none --marker "$m" smuggle "$DENY4" allowed.example evil.example "$(marker c)" "$v"
  expect_blocked "smuggling $v (first request)" "$m"
  m=$(marker "sm2-$v")
  attack none --marker "$m" smuggle "$DENY4" allowed.example evil.example "$(marker c)" "$v" --second
  expect_blocked "smuggling $v (after an allowed request)" "$m"
done

echo "== closed: HTTP/2 with prior knowledge on the HTTP port"
m=$(marker h2-ctl); attack none --marker "$m" h2 "$DENY4" allowed.example evil.example "$(marker c)" ok
expect_arrived "HTTP/2 request, :authority allowed.example" "$m"
for v in authority second-stream same-segment host-header continuation; do
  m=$(marker "h2-$v"); attack none --marker "$m" h2 "$DENY4" allowed.example evil.example "$(marker c)" "$v"
  expect_blocked "HTTP/2 $v naming evil.example" "$m"
done
attack_finish
