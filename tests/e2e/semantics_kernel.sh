#!/usr/bin/env bash
# tests/e2e/semantics_kernel.sh — the examples of docs/policy-reference.md ("Examples"; §8.N below is example N) that
# the kernel decides alone (no hostname needed), on the wire over IPv4: real curl from the pod to real servers, after
# `nfegress init`. Each result is cross-checked with `nfegress explain`. Documentation addresses stand in for the
# public ones of the examples (1.1.1.1 -> 203.0.113.10, 8.8.8.8 -> 198.51.100.8); `--cluster-networks 198.51.100.0/24`
# stands in for 10/8.
source "$(dirname "$0")/lib.sh"
e2e_need init
e2e_sandbox
e2e_host 203.0.113.10 httpbin.org
e2e_host 203.0.113.40 plain443.test
e2e_host 203.0.113.7
e2e_host 203.0.113.8
e2e_host 198.51.100.3
e2e_host 198.51.100.5
e2e_host 198.51.100.8
e2e_host 198.51.100.200
e2e_http 203.0.113.10:80 203.0.113.10:8080 203.0.113.10:5432 203.0.113.40:443 203.0.113.7:80 203.0.113.8:80 \
  198.51.100.3:8080 198.51.100.5:80 198.51.100.8:80 198.51.100.200:80
e2e_tls 203.0.113.10:443

echo "== §8.1 global Allow: plain HTTP allowed"
e2e_policy < <(yaml_network all Allow)
e2e_init app
expect_outcome "§8.1 203.0.113.10:80 Host httpbin.org" allow http://httpbin.org/get
expect_explain allow app 203.0.113.10:80 --host httpbin.org --path /get

echo "== §8.2 global Deny: HTTP and TLS refused at once, server gets nothing"
e2e_policy < <(yaml_network all Deny)
e2e_init app
expect_denied_silently "§8.2 203.0.113.10:80 denied" 203.0.113.10:80 http://httpbin.org/get
expect_outcome "§8.2 203.0.113.10:443 TLS SNI httpbin.org denied" deny https://httpbin.org/
expect_explain deny app 203.0.113.10:80 --host httpbin.org --path /get
expect_explain deny app 203.0.113.10:443 --sni httpbin.org

echo "== §8.3 a local EgressNetwork shadows the global ones"
e2e_policy < <(yaml_network all Deny; yaml_network app/local Allow 203.0.113.0/24)
e2e_init app
expect_outcome "§8.3 app -> 203.0.113.10:80 allowed by app/local" allow http://httpbin.org/get
expect_explain allow app 203.0.113.10:80
expect_outcome "§8.3 app -> 198.51.100.8:80 untouched (global shadowed)" allow http://198.51.100.8/
expect_explain untouched app 198.51.100.8:80
e2e_init other
expect_denied_silently "§8.3 other -> 198.51.100.8:80 denied by all" 198.51.100.8:80 http://198.51.100.8/
expect_explain deny other 198.51.100.8:80

echo "== §8.4 the smaller network wins"
e2e_policy <<'YAML'
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: a, namespace: linkerd-egress, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  trafficPolicy: Deny
  networks: [{cidr: 198.51.100.0/24}]
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: b, namespace: linkerd-egress, creationTimestamp: "2024-06-01T00:00:00Z"}
spec:
  trafficPolicy: Allow
  networks: [{cidr: 198.51.100.128/25}]
YAML
e2e_init app
expect_outcome "§8.4 198.51.100.200 -> B (smaller), allowed" allow http://198.51.100.200/
expect_denied_silently "§8.4 198.51.100.5 -> A, denied" 198.51.100.5:80 http://198.51.100.5/
expect_explain allow app 198.51.100.200:80
expect_explain deny app 198.51.100.5:80

echo "== §8.5 an except hands the address to the other network"
e2e_policy <<'YAML'
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: a, namespace: linkerd-egress}
spec:
  trafficPolicy: Deny
  networks: [{cidr: 203.0.113.0/24, except: [203.0.113.7]}]
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: b, namespace: linkerd-egress}
spec:
  trafficPolicy: Allow
  networks: [{cidr: 203.0.0.0/16}]
YAML
e2e_init app
expect_outcome "§8.5 203.0.113.7 -> B, allowed" allow http://203.0.113.7/
expect_denied_silently "§8.5 203.0.113.8 -> A, denied" 203.0.113.8:80 http://203.0.113.8/
expect_explain allow app 203.0.113.7:80
expect_explain deny app 203.0.113.8:80

echo "== §8.6 cluster networks are not captured by a network-less EgressNetwork"
OPTS=(--cluster-networks 198.51.100.0/24)
e2e_policy < <(yaml_network all Deny)
e2e_init app
expect_outcome "§8.6 198.51.100.3:8080 untouched (cluster network)" allow http://198.51.100.3:8080/
expect_explain untouched app 198.51.100.3:8080
expect_denied_silently "§8.6 203.0.113.10:8080 denied" 203.0.113.10:8080 http://httpbin.org:8080/
OPTS=()

echo "== §8.13 TCPRoute on 443 with backend self: any TCP to 443 allowed, :80 still denied"
e2e_policy < <(yaml_network all Deny; yaml_route TCPRoute tcp-443 all:443 backend=self)
e2e_init app
expect_outcome "§8.13 plain HTTP to 203.0.113.40:443 allowed" allow http://plain443.test:443/
expect_outcome "§8.13 TLS to 203.0.113.10:443 allowed" allow https://httpbin.org/
expect_denied_silently "§8.13 HTTP to :80 denied" 203.0.113.10:80 http://httpbin.org/get
expect_explain allow app 203.0.113.40:443

echo "== §8.15 an HTTPRoute on opaque port 5432 is ignored; a TCPRoute there applies"
e2e_policy < <(yaml_network all Deny; yaml_route HTTPRoute http-5432 all:5432)
e2e_init app
expect_denied_silently "§8.15 :5432 with only an HTTPRoute denied" 203.0.113.10:5432 http://httpbin.org:5432/
expect_explain deny app 203.0.113.10:5432
e2e_policy < <(yaml_network all Deny; yaml_route HTTPRoute http-5432 all:5432; yaml_route TCPRoute tcp-5432 all:5432)
e2e_init app
expect_outcome "§8.15 :5432 with a TCPRoute allowed" allow http://httpbin.org:5432/
expect_explain allow app 203.0.113.10:5432
echo "PASS"
