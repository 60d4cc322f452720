#!/usr/bin/env bash
# tests/e2e/policies.sh — policies shared by the reload, restart and bad-manifest scenarios (sourced).
# P_HTTPBIN: global Deny; TLS to httpbin.org:443 and HTTP GET /get on :80 allowed.
# P_GITHUB:  global Deny; TLS to github.com:443 and HTTP GET /get on :80 allowed (httpbin.org TLS no longer).
_p_tls() {  # _p_tls HOST: P_HTTPBIN or P_GITHUB
  yaml_network all Deny
  yaml_route HTTPRoute get-only all:80 path=PathPrefix:/get
  yaml_route TLSRoute tls-egress all:443 "hostnames=$1"
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
