// tests/enforcer/engine_policy.hpp — the one policy the enforcer's pure-engine tests, benchmark and fuzz target
// share: Deny everything in linkerd-egress/all, a TLSRoute on 443 for a few names and an HTTPRoute on 80 for
// paths under /get, compiled for client namespace `app` with 198.51.100.0/24 as the cluster network. No gtest here
// (the fuzz target and the benchmark include it too); a policy that does not load aborts with its diagnostics.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "enforcer/flow.hpp"
#include "policy/compile.hpp"
#include "policy/load.hpp"

namespace nfegress::test {

inline constexpr const char* kEnginePolicy = R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: all, namespace: linkerd-egress}
spec: {trafficPolicy: Deny}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: tls-ok, namespace: linkerd-egress}
spec:
  hostnames: [curl.tls.example, chromium.tls.example, allowed.example]
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all, port: 443}]
  rules: [{backendRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: get-only, namespace: linkerd-egress}
spec:
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all, port: 80}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /get}}]
)";

// nfegress's conntrack/packet mark bits under the default kernel options the policy compiles with.
inline constexpr std::uint32_t kMarkAllow = 0x00100000, kMarkDeny = 0x00200000, kMarkMask = 0x00300000;

inline std::shared_ptr<const enforcer::CompiledPolicy> compile_engine_policy(const char* yaml = kEnginePolicy,
                                                                             policy::KernelOptions kernel = {}) {
  const auto loaded = policy::load_buffer("engine_policy.yaml", yaml);
  bool bad = false;
  for (const auto& d : loaded.diagnostics) {
    if (d.severity != policy::Severity::Error) continue;
    std::fprintf(stderr, "%s\n", d.format().c_str());
    bad = true;
  }
  if (bad) std::abort();
  policy::CompileOptions o;
  o.cluster_networks = {*policy::parse_prefix("198.51.100.0/24")};
  return std::make_shared<const enforcer::CompiledPolicy>(policy::compile(loaded.resources, "app", o, kernel));
}

}  // namespace nfegress::test
