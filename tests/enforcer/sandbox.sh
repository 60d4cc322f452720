#!/usr/bin/env bash
# tests/enforcer/sandbox.sh — sourced by the enforcer's namespace tests (after tests/netns/lib.sh): the pod and
# "internet" namespaces, allowed.example (203.0.113.10) and denied.example (203.0.113.20) each with a TLS server
# on 443 ($CERT/$KEY, both names) and an HTTP server on 80; their byte logs $NS_TMP/{tls,http}{10,20}.log start
# empty once the servers listen. chromium.tls.example (the SNI of the captured Chromium ClientHello the tests
# replay) resolves to 203.0.113.10 too: a route's hostname is allowed only to the addresses its name resolves to.
ns_topology
ns_add_host "$NET" 203.0.113.10 allowed.example chromium.tls.example
ns_add_host "$NET" 203.0.113.20 denied.example
CERT=$NS_TMP/cert.pem KEY=$NS_TMP/key.pem
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=allowed.example \
  -addext "subjectAltName=DNS:allowed.example,DNS:denied.example" -keyout "$KEY" -out "$CERT" 2>/dev/null ||
  fail "openssl req"
for a in 10 20; do
  ns_bg "$NET" "$NS_TMP/srv-tls$a.out" python3 "$HERE/netns_server.py" --log "$NS_TMP/tls$a.log" --tls "$CERT" "$KEY" \
    "203.0.113.$a:443" >/dev/null
  ns_bg "$NET" "$NS_TMP/srv-http$a.out" python3 "$HERE/netns_server.py" --log "$NS_TMP/http$a.log" \
    "203.0.113.$a:80" >/dev/null
  ns_wait_port "$NET" "203.0.113.$a" 443
  ns_wait_port "$NET" "203.0.113.$a" 80
done
: > "$NS_TMP/tls10.log"; : > "$NS_TMP/tls20.log"; : > "$NS_TMP/http10.log"; : > "$NS_TMP/http20.log"
