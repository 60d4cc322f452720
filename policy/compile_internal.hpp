// policy/compile_internal.hpp — layer: pure decision (compiler/matcher internals shared by compile*.cpp,
// match*.cpp and explain.cpp). Must not: do I/O or touch the kernel.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/model.hpp"
#include "policy/plan.hpp"

namespace nfegress::policy::detail {

bool iequals(std::string_view a, std::string_view b);

// What one rule does with traffic it matches (backendRefs, docs/policy-reference.md "Routes").
enum class RuleOutcome : std::uint8_t {
  LetThrough,   // no backendRefs, or every backendRef is the parent EgressNetwork itself
  ServiceDeny,  // a backendRef to a Service: a transparent enforcer cannot redirect, so deny (not honoured)
  InvalidDeny,  // a backendRef to another EgressNetwork, a missing name or an unknown kind
};
RuleOutcome rule_outcome(const RouteRule& rule, const Route& route, const CompiledNetwork& parent);
const char* outcome_text(RuleOutcome o);  // "let through", "Service backend not honoured: denied", ...

// The default route of a port: {http,grpc,tls,tcp}-egress-{allow,deny} in the EgressNetwork's namespace.
RouteRef default_route(Inspection kind, TrafficPolicy policy, const std::string& ns);

// Rules of a route as evaluated: a route without rules behaves as one rule without matches or backends
// (Gateway API default: match everything, send to the parent).
const std::vector<RouteRule>& effective_rules(const Route& route);

// Parsed `config.linkerd.io/opaque-ports` ("25,587,4000-4010"); false when malformed.
bool parse_opaque_ports(std::string_view text, std::vector<std::uint16_t>& out);

// Lowercases `in` into `buf` (capacity `cap`) and drops one trailing dot; returns false if it does not fit.
bool normalize_host(std::string_view in, char* buf, std::size_t cap, std::string_view& out);

inline constexpr std::string_view kOpaquePortsAnnotation = "config.linkerd.io/opaque-ports";

}  // namespace nfegress::policy::detail

namespace nfegress::policy::detail {

// Indices into resources.networks of the candidates for a client namespace, sorted by namespace/name
// (duplicates dropped). Adds a shadowing warning when local EgressNetworks hide global ones.
std::vector<std::size_t> select_candidates(const ResourceSet& resources, const std::string& client_ns,
                                           const std::string& global_ns, Diagnostics* diagnostics);

// Fills Plan::routes and every CompiledNetwork::ports of `plan` (networks already set).
void compile_ports(const ResourceSet& resources, Plan& plan);

// Ordering of routes for every tie: older, then namespace, then name.
bool route_before(const Route& a, const Route& b);

}  // namespace nfegress::policy::detail
