#!/usr/bin/env bash
# tests/e2e/name_binding.sh — issue 17 on the wire: an SNI or Host that a route allows reaches only the addresses
# its name resolved to. A real DNS server (dnsmasq) in the internet namespace is the pod's resolver
# (/etc/netns/POD/resolv.conf); curl, openssl s_client and a python client resolve through it; the enforcer learns
# its answers from the DNS answer queue before the client reads them. Cases: the allowed name to its address;
# the same SNI / Host to the attacker's address in the same Deny network (0 bytes reach it); a CNAME chain; several
# addresses; expiry after the TTL floor; 200 connections made the instant their answer arrived (strict mode, so a
# race would deny); resolve-on-miss (curl --resolve: no query from the client); bindings kept across a restart
# (--state-dir); explain --resolved; DNS answered with no enforcer at all.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
e2e_need init enforce explain

e2e_sandbox
DNS=192.0.2.254                  # the internet side of the veth: the pod's resolver (cluster network below)
API1=203.0.113.7 API2=203.0.113.8 CDN=203.0.113.9 EVIL=203.0.113.66
for a in $API1 $API2 $CDN $EVIL; do e2e_host "$a"; done   # no hosts entries: names come from DNS only
echo "nameserver $DNS" > "/etc/netns/$POD/resolv.conf"
# api.example.com: two addresses; www.example.com: CNAME to cdn.example.com; *.loop.example.com: one address;
# TTL 1 s (the enforcer's floor, --dns-min-ttl, decides how long a binding lives).
ns_bg "$NET" "$NS_TMP/dnsmasq.log" dnsmasq --keep-in-foreground --log-facility=- --log-queries --no-resolv --no-hosts \
  --listen-address=$DNS --bind-interfaces --pid-file= --user=root --local-ttl=1 \
  --address=/api.example.com/$API1 --address=/api.example.com/$API2 --host-record=cdn.example.com,$CDN \
  --cname=www.example.com,cdn.example.com --address=/loop.example.com/$API1 >/dev/null
in_pod python3 "$NS_LIB_DIR/dns_query.py" "$DNS" api.example.com >/dev/null || sleep 0.5
e2e_tls $API1:443 $API2:443 $CDN:443
e2e_http $EVIL:443 $EVIL:80 $API1:80   # plain TCP on 443 too: it counts every byte of a leaked ClientHello

e2e_policy < <(yaml_network all Deny
  yaml_route TLSRoute tls all:443 hostnames=api.example.com,www.example.com,*.loop.example.com
  yaml_route HTTPRoute web all:80 hostnames=api.example.com)
OPTS=(--cluster-networks 192.0.2.0/24)
KOPTS=(--name-binding strict)
EOPTS=(--dns-min-ttl 3 --state-dir "$NS_TMP/state")
mkdir -p "$NS_TMP/state"
e2e_init app
grep -q "DNS answers of 1 resolver" "$NS_TMP/init.out" || { cat "$NS_TMP/init.out" >&2; fail "init does not queue $DNS's answers"; }
e2e_enforce_start app

# 1. The allowed name, resolved by curl through the resolver, to each of its addresses.
expect_outcome "curl https://api.example.com (resolved: $API1, $API2)" allow https://api.example.com/
expect_outcome "api.example.com to $API1" allow --resolve api.example.com:443:$API1 https://api.example.com/
expect_outcome "api.example.com to $API2" allow --resolve api.example.com:443:$API2 https://api.example.com/
# 2. The same SNI to the attacker's address: denied, and the attacker's host got 0 bytes.
expect_denied_silently "SNI api.example.com to $EVIL (curl)" $EVIL:443 -k --resolve api.example.com:443:$EVIL \
  https://api.example.com/
before=$(bytes_seen $EVIL:443)
in_pod timeout 5 openssl s_client -connect $EVIL:443 -servername api.example.com -quiet </dev/null >/dev/null 2>&1
expect_eq "SNI api.example.com to $EVIL (openssl s_client): bytes reaching it" "$before" "$(bytes_seen $EVIL:443)"
log_wait "$NS_TMP/enforce.log" "binding: SNI api\.example\.com does not resolve to ${EVIL//./\\.} \\(resolved: "
grep -q "binding: SNI api.example.com does not resolve to $EVIL (resolved: " "$NS_TMP/enforce.log" ||
  fail "the decision log does not name the binding failure"
pass "decision log: binding: SNI api.example.com does not resolve to $EVIL"
# The same with an HTTP Host (HTTPRoute web): the 403 from the enforcer, 0 bytes at the attacker's host.
expect_outcome "Host api.example.com to $API1:80" allow -H "Host: api.example.com" http://$API1/
expect_denied_silently "Host api.example.com to $EVIL:80" $EVIL:80 -H "Host: api.example.com" http://$EVIL/
# An answer nobody asked for, spoofed from the resolver's own address by a host on the network (another pod): the
# DNS answer queue takes only conntrack's replies to the pod's queries, so it is never learned.
in_net python3 - "$DNS" 192.0.2.1 api.example.com "$EVIL" <<'PY' || fail "spoofed answers not sent"
import socket, struct, sys
src, dst, name, addr = sys.argv[1:5]
q = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0" + struct.pack("!HH", 1, 1)
dns = struct.pack("!HHHHHH", 0x4242, 0x8180, 1, 1, 0, 0) + q + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 3600, 4) \
    + socket.inet_aton(addr)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.bind((src, 0))
for port in range(32768, 32768 + 2000):  # a spoofer's guesses at the port a query left from
    s.sendto(struct.pack("!HHHH", 53, port, 8 + len(dns), 0) + dns, (dst, 0))
PY
expect_denied_silently "SNI api.example.com to $EVIL after 2,000 spoofed answers" $EVIL:443 -k \
  --resolve api.example.com:443:$EVIL https://api.example.com/
# 3. A CNAME chain: www.example.com -> cdn.example.com -> $CDN; both names are bound to $CDN.
expect_outcome "www.example.com via CNAME to $CDN" allow https://www.example.com/
expect_denied_silently "www.example.com to $EVIL" $EVIL:443 -k --resolve www.example.com:443:$EVIL \
  https://www.example.com/

# 4. Explain models bindings.
expect_explain deny app $EVIL:443 --sni api.example.com --resolved api.example.com=$API1,$API2
expect_explain allow app $API2:443 --sni api.example.com --resolved api.example.com=$API1,$API2

# 5. 200 connections made the instant their answer arrived (strict: a binding recorded after the client read the
#    answer would deny): every one allowed.
in_pod python3 "$E2E_ROOT/tests/e2e/name_binding_client.py" .loop.example.com 200 443 > "$NS_TMP/race.log" 2>&1 ||
  { tail -5 "$NS_TMP/race.log" >&2; fail "connections right after their DNS answer were denied"; }
pass "200 connections right after their DNS answer: $(tail -1 "$NS_TMP/race.log")"

# 6. Expiry: the binding lives the floor (3 s) past the answer's 1 s TTL, then a connection without a new answer
#    (curl --resolve: no query) is denied in strict mode.
in_pod python3 "$NS_LIB_DIR/dns_query.py" "$DNS" api.example.com >/dev/null || fail "no answer for api.example.com"
expect_outcome "api.example.com to $API1 inside the floor" allow --resolve api.example.com:443:$API1 https://api.example.com/
sleep 4
expect_outcome "api.example.com to $API1 after the floor expired (strict)" deny --resolve api.example.com:443:$API1 \
  https://api.example.com/

# 7. Restart keeps bindings: learn again (a 30 s floor now, so the restart fits in it), restart, and (strict) a
#    connection without a query is still allowed.
e2e_enforce_stop
EOPTS=(--dns-min-ttl 30 --state-dir "$NS_TMP/state")
e2e_enforce_start app
expect_outcome "curl https://api.example.com (learned again)" allow https://api.example.com/
e2e_enforce_stop
[ -s "$NS_TMP/state/bindings" ] || fail "no state file after the enforcer stopped"
grep -q "^api.example.com $API1 " "$NS_TMP/state/bindings" || { cat "$NS_TMP/state/bindings" >&2; fail "state file"; }
pass "state file holds api.example.com"
# 8. No enforcer: DNS is answered anyway (the DNS queue has bypass), flows are not (fail-closed).
in_pod python3 "$NS_LIB_DIR/dns_query.py" "$DNS" api.example.com >/dev/null || fail "DNS not answered without an enforcer"
pass "DNS answered with no enforcer listening"
e2e_enforce_start app
expect_outcome "after a restart, api.example.com to $API1 without a query (state file)" allow \
  --resolve api.example.com:443:$API1 https://api.example.com/
e2e_enforce_stop

# 9. Resolve mode (the default): a name the client never asked the resolver for is resolved by the enforcer.
KOPTS=()
e2e_init app
e2e_enforce_start app
expect_outcome "resolve on a miss: www.example.com to $CDN" allow --resolve www.example.com:443:$CDN https://www.example.com/
expect_denied_silently "resolve on a miss: www.example.com to $EVIL" $EVIL:443 -k --resolve www.example.com:443:$EVIL \
  https://www.example.com/
e2e_enforce_stop
grep -q "resolves_answered=[1-9]" "$NS_TMP/enforce.log" || { tail -3 "$NS_TMP/enforce.log" >&2; fail "no resolve counted"; }
pass "the enforcer resolved on a miss"
