#!/usr/bin/env bash
# tests/e2e/policies.sh — policies shared by the reload, restart and bad-manifest scenarios (sourced).
# P_HTTPBIN: global Deny; TLS to httpbin.org:443 and HTTP GET /get on :80 allowed.
# P_GITHUB:  global Deny; TLS to github.com:443 and HTTP GET /get on :80 allowed (httpbin.org TLS no longer).
_p_common='apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: all, namespace: linkerd-egress}
spec: {trafficPolicy: Deny}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: get-only, namespace: linkerd-egress}
spec:
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all, port: 80}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /get}}]'
_p_tls() {
  printf '%s\n---\n' "$_p_common"
  cat <<YAML
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: tls-egress, namespace: linkerd-egress}
spec:
  hostnames: [$1]
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all, port: 443}]
  rules: [{}]
YAML
}
P_HTTPBIN=$(_p_tls httpbin.org)
P_GITHUB=$(_p_tls github.com)
# Loads as YAML but fails validation: an except outside its cidr, and an empty networks list.
P_BAD='apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: all, namespace: linkerd-egress}
spec:
  trafficPolicy: Allow
  networks: [{cidr: 203.0.113.0/24, except: [198.51.100.1]}]
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: empty, namespace: linkerd-egress}
spec:
  trafficPolicy: Allow
  networks: []'

# The sandbox these scenarios share: httpbin.org and github.com with HTTP on 80 and TLS on 443.
policies_sandbox() {
  e2e_sandbox
  e2e_host 203.0.113.10 httpbin.org
  e2e_host 203.0.113.20 github.com
  e2e_http 203.0.113.10:80 203.0.113.20:80
  e2e_tls 203.0.113.10:443 203.0.113.20:443
}
