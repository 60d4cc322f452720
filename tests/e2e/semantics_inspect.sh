#!/usr/bin/env bash
# tests/e2e/semantics_inspect.sh — the examples of docs/policy-reference.md ("Examples"; §8.N below is example N)
# decided by a hostname or an HTTP request (9, 10, 11, 12, 14), on the wire over IPv4: `nfegress init` + `nfegress
# enforce` in the pod, real curl (TLS with SNI, HTTP with Host/path) to real servers. A denied HTTP request must never
# reach the server (its byte count stays the same). Each result is cross-checked with `nfegress explain`.
source "$(dirname "$0")/lib.sh"
e2e_need init enforce
e2e_sandbox
e2e_host 203.0.113.10 httpbin.org
e2e_host 203.0.113.20 github.com
e2e_host 203.0.113.30 example.com api.example.com a.b.example.com www.example.com
e2e_host 203.0.113.40 plain443.test
e2e_http 203.0.113.10:80 203.0.113.10:8080 203.0.113.30:80 203.0.113.40:443
e2e_tls 203.0.113.10:443 203.0.113.20:443 203.0.113.30:443

run() {  # run NS: program and (re)start the enforcer for the current policy
  e2e_enforce_stop
  e2e_init "$1"
  e2e_enforce_start "$1"
}

echo "== §8.9 HTTPRoute port 80, path Exact /get"
e2e_policy < <(yaml_network all Deny; yaml_route HTTPRoute get-only all:80 path=Exact:/get)
run app
expect_outcome "§8.9 GET /get allowed" allow http://httpbin.org/get
expect_denied_silently "§8.9 GET /ip denied" 203.0.113.10:80 http://httpbin.org/ip
expect_denied_silently "§8.9 GET /get to port 8080 denied" 203.0.113.10:8080 http://httpbin.org:8080/get
expect_explain allow app 203.0.113.10:80 --host httpbin.org --path /get
expect_explain deny app 203.0.113.10:80 --host httpbin.org --path /ip
expect_explain deny app 203.0.113.10:8080 --host httpbin.org --path /get

echo "== §8.10 TLSRoute port 443, hostnames [httpbin.org] (the Linkerd documentation example, verbatim)"
cp "$E2E_ROOT/deploy/examples/linkerd-docs-egress.yaml" "$NS_TMP/docs.yaml"
e2e_policy < "$NS_TMP/docs.yaml"
run app
expect_outcome "§8.10 SNI httpbin.org allowed" allow https://httpbin.org/get
expect_outcome "§8.10 SNI github.com denied" deny https://github.com/
expect_denied_silently "§8.10 plaintext HTTP to :443 (no SNI) denied" 203.0.113.40:443 http://plain443.test:443/
expect_explain allow app 203.0.113.10:443 --sni httpbin.org
expect_explain deny app 203.0.113.20:443 --sni github.com
expect_explain deny app 203.0.113.40:443

echo "== §8.11 TLSRoute hostnames [*.example.com]"
e2e_policy < <(yaml_network all Deny; yaml_route TLSRoute wildcard all:443 "hostnames=*.example.com" backend=self)
run app
expect_outcome "§8.11 SNI api.example.com allowed" allow https://api.example.com/
expect_outcome "§8.11 SNI a.b.example.com allowed" allow https://a.b.example.com/
expect_outcome "§8.11 SNI example.com denied" deny https://example.com/
expect_explain allow app 203.0.113.30:443 --sni a.b.example.com
expect_explain deny app 203.0.113.30:443 --sni example.com

echo "== §8.12 a Service backendRef is not honoured: denied, not sent to the original destination"
e2e_policy <<YAML
$(yaml_network all Deny)
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: a-wildcard-to-service, namespace: linkerd-egress}
spec:
  hostnames: ["*.example.com"]
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all, port: 80}]
  rules:
  - backendRefs: [{kind: Service, name: egress-proxy, port: 8080}]
$(yaml_route HTTPRoute b-api all:80 hostnames=api.example.com)
YAML
run app
expect_outcome "§8.12 Host api.example.com -> B, allowed" allow http://api.example.com/
expect_denied_silently "§8.12 Host www.example.com -> A (Service backend), denied" 203.0.113.30:80 http://www.example.com/
expect_denied_silently "§8.12 Host example.com -> default, denied" 203.0.113.30:80 http://example.com/
expect_explain allow app 203.0.113.30:80 --host api.example.com --path /
expect_explain deny app 203.0.113.30:80 --host www.example.com --path /
expect_explain deny app 203.0.113.30:80 --host example.com --path /

echo "== §8.14 HTTPRoute and TLSRoute on port 443: the TLSRoute is conflicted and ignored"
e2e_policy < <(yaml_network all Deny
  yaml_route HTTPRoute http-443 all:443 backend=self
  yaml_route TLSRoute tls-443 all:443 hostnames=httpbin.org backend=self)
run app
expect_outcome "§8.14 TLS SNI httpbin.org denied (TLSRoute conflicted)" deny https://httpbin.org/
expect_outcome "§8.14 plain HTTP to :443 allowed by the HTTPRoute" allow http://plain443.test:443/
expect_explain deny app 203.0.113.10:443 --sni httpbin.org
expect_explain allow app 203.0.113.40:443 --host plain443.test --path /
e2e_enforce_stop
echo "PASS"
