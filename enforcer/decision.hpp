// enforcer/decision.hpp — layer: plain data. One record per decision the enforcer takes (a TLS flow, or one HTTP
// request of a connection), handed to a callback (the JSON decision log, metrics). Must not: format or do I/O.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "policy/ip.hpp"
#include "policy/match.hpp"
#include "policy/plan.hpp"

namespace nfegress::enforcer {

enum class FlowVerdict : std::uint8_t { Allow, Deny };
constexpr const char* to_string(FlowVerdict v) { return v == FlowVerdict::Allow ? "allow" : "deny"; }

struct DecisionRecord {
  policy::IpAddr src;
  std::uint16_t sport = 0;
  policy::IpAddr dst;
  std::uint16_t dport = 0;
  std::string client_ns;                 // --namespace
  std::string network;                   // EgressNetwork "ns/name" (empty when none captured the address)
  std::optional<policy::RouteRef> route; // the route (or default route) that decided; none for bound denials
  std::string protocol;                  // "tls", "http" or "unknown" (nothing recognisable before the decision)
  std::string host;                      // SNI or HTTP Host (empty when none)
  std::string method, path;              // HTTP only
  FlowVerdict verdict = FlowVerdict::Deny;
  // An audited EgressNetwork's would-deny (policy/plan.hpp, CompiledNetwork::audit): the route, binding or default
  // denied, the flow was let through (`verdict` Allow). The log says "audit":"deny"; `reason` is the denial's.
  bool audit = false;
  std::string reason;                    // "bound: ..." / "parse: ..." for enforcer denials; empty: the matcher's
  std::string response;                  // what the client got besides the reset: "403" (HTTP/1.x), else empty
  // The matcher's decision and the plan it was taken on: its reason text is rendered only where it is printed
  // (record_reason() in decision_log.hpp), not on the verdict path.
  std::optional<policy::Decision> decision;
  std::shared_ptr<const policy::Plan> plan;
};

using DecisionCallback = std::function<void(const DecisionRecord&)>;

// Issue 19: how a queue worker hands its decisions on. `record` runs on the worker's thread for each decision (the
// route metrics) and appends the decision's log line, newline included, to `lines` (the worker's own buffer);
// `write` gets that buffer on the worker's 100 ms tick (at 64 KiB sooner, and at stop). Both must be thread-safe.
struct DecisionOutput {
  std::function<void(const DecisionRecord&, std::string& lines)> record;
  std::function<void(std::string_view lines)> write;
};

}  // namespace nfegress::enforcer
