#!/usr/bin/env bash
# tests/e2e/semantics_v6.sh — the IPv6 side on the wire (§8.N is example N of docs/policy-reference.md): §8.7
# (network-less Allow captures IPv6, cluster networks untouched), §8.8 (exact 128-bit sizes: a /96 beats ::/0), and
# hostname inspection over IPv6 (§8.9/§8.10 shapes). 2001:db8:ee::/48 stands in for the cluster network fd00::/8 of
# §8.7.
source "$(dirname "$0")/lib.sh"
e2e_need init enforce
e2e_sandbox
e2e_host 2001:db8:ff::10 httpbin.org
e2e_host 2001:db8:ff::20 github.com
e2e_host 2001:db8:ff::5
e2e_host 2001:db8:fe::5
e2e_host 2001:db8:ee::5
e2e_http [2001:db8:ff::10]:80 [2001:db8:ff::5]:80 [2001:db8:fe::5]:80 [2001:db8:ee::5]:80
e2e_tls [2001:db8:ff::10]:443 [2001:db8:ff::20]:443
OPTS=(--cluster-networks 10.0.0.0/8,2001:db8:ee::/48)

echo "== §8.7 global Allow without networks captures IPv6; cluster networks untouched"
e2e_policy < <(yaml_network all Allow)
e2e_init app
expect_outcome "§8.7 [2001:db8:ff::10]:443 captured and allowed" allow https://httpbin.org/
expect_explain allow app "[2001:db8:ff::10]:443" --sni httpbin.org
expect_outcome "§8.7 [2001:db8:ee::5]:80 untouched" allow "http://[2001:db8:ee::5]/"
expect_explain untouched app "[2001:db8:ee::5]:80"

echo "== §8.8 exact sizes: B {Allow, 2001:db8:ff::/96} beats the older network-less A {Deny}"
e2e_policy <<'YAML'
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: a, namespace: linkerd-egress, creationTimestamp: "2024-01-01T00:00:00Z"}
spec: {trafficPolicy: Deny}
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: b, namespace: linkerd-egress, creationTimestamp: "2024-06-01T00:00:00Z"}
spec:
  trafficPolicy: Allow
  networks: [{cidr: "2001:db8:ff::/96"}]
YAML
e2e_init app
expect_outcome "§8.8 [2001:db8:ff::5]:80 -> B, allowed" allow "http://[2001:db8:ff::5]/"
expect_explain allow app "[2001:db8:ff::5]:80"
expect_denied_silently "§8.8 [2001:db8:fe::5]:80 -> A, denied" "[2001:db8:fe::5]:80" "http://[2001:db8:fe::5]/"
expect_explain deny app "[2001:db8:fe::5]:80"

echo "== hostname decisions over IPv6: HTTPRoute /get on 80, TLSRoute httpbin.org on 443"
e2e_policy < <(yaml_network all Deny
  yaml_route HTTPRoute get-only all:80 path=Exact:/get
  yaml_route TLSRoute tls-egress all:443 hostnames=httpbin.org)
e2e_init app
e2e_enforce_start app
expect_outcome "v6 HTTP GET /get allowed" allow http://httpbin.org/get
expect_denied_silently "v6 HTTP GET /ip denied" "[2001:db8:ff::10]:80" http://httpbin.org/ip
expect_outcome "v6 TLS SNI httpbin.org allowed" allow https://httpbin.org/get
expect_outcome "v6 TLS SNI github.com denied" deny https://github.com/
expect_explain allow app "[2001:db8:ff::10]:80" --host httpbin.org --path /get
expect_explain deny app "[2001:db8:ff::20]:443" --sni github.com
e2e_enforce_stop
echo "PASS"
