// enforcer/binding_check.hpp — layer: pure decision. Issue 17: a flow that a hostname allowed (TLSRoute SNI,
// HTTPRoute Host, GRPCRoute :authority, wildcards included) is allowed only to an address that name resolved to
// for this namespace (name_bindings.hpp, learned from the resolvers' answers). Says what to do when the matcher
// allowed by a hostname: keep the allow, deny (the reason names the name, the address and what it resolved to), or
// hold the flow while the enforcer resolves the name itself. Must not: read a clock, resolve, touch a socket.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "enforcer/flow.hpp"
#include "enforcer/name_bindings.hpp"
#include "policy/explain.hpp"
#include "policy/match.hpp"

namespace nfegress::enforcer {

// --name-binding: off = upstream's behaviour (the name alone decides); strict = no binding, no flow; resolve =
// no binding: resolve the name, then decide (the default).
enum class BindingMode : std::uint8_t { Off, Strict, Resolve };
const char* to_string(BindingMode m);

struct BindingContext {
  BindingMode mode = BindingMode::Off;
  const NameBindings* bindings = nullptr;  // none: mode is Off
  Clock::time_point now{};
};

enum class BindOutcome : std::uint8_t {
  NotNeeded,  // not allowed by a hostname (or binding off): the matcher's decision stands
  Bound,      // the destination is an address the name resolved to
  Deny,       // it is not (or strict and nothing is known, or resolved on a miss and still not): `reason` says why
  Resolve,    // nothing known yet (resolve mode): hold the flow, resolve `name`, decide again
};

struct BindCheck {
  BindOutcome outcome = BindOutcome::NotNeeded;
  std::string name;    // the normalised SNI / Host the route matched
  std::string reason;  // Deny: "binding: SNI a.example does not resolve to 192.0.2.9 (resolved: ...)"
};

// Which label the request's name travels under, for reasons: "SNI", "Host" or ":authority".
std::string_view name_label(const policy::RequestInfo& info);

// `d` is the matcher's decision for a flow to `dst`. `earlier` lists the names earlier requests of the same
// connection were bound with (their expired bindings still count for a grace period); `resolved` lists the names
// already resolved for this flow on a miss (a miss after that is a denial, not another resolve).
BindCheck check_binding(const policy::Decision& d, const policy::RequestInfo& info, const policy::IpAddr& dst,
                        const BindingContext& ctx, const std::vector<std::string>& earlier,
                        const std::vector<std::string>& resolved);

// `nfegress explain --resolved NAME=IP[,IP...]` (repeatable): models the bindings the enforcer would hold. A
// hostname allow is checked against them (as --name-binding strict would: a name not given is only described);
// the explanation's decision, reason and why lines say what binding does. False + `error` on a malformed flag.
bool explain_binding(policy::Explanation& e, const policy::ExplainQuery& q, const std::vector<std::string>& resolved,
                     std::string& error);

}  // namespace nfegress::enforcer
