// enforcer/inspect.hpp — layer: pure decision glue. Runs the TLS or HTTP parser over a flow's contiguous bytes and
// asks the matcher (HTTP/2 too); says whether the whole flow is decided (allow/deny) or, for HTTP, how far the bytes are
// covered by allowed requests. Must not: touch a socket, read a clock, keep state outside the Flow.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "enforcer/binding_check.hpp"
#include "enforcer/counters.hpp"
#include "enforcer/decision.hpp"
#include "enforcer/flow.hpp"

namespace nfegress::enforcer {

enum class Outcome : std::uint8_t {
  Wait,       // not enough bytes yet: keep holding
  AllowFlow,  // the whole connection is allowed (ct mark ALLOW)
  DenyFlow,   // the connection is denied (ct mark DENY: reset, the server gets nothing more)
  Progress,   // HTTP: bytes before flow.buf.start_seq() belong to allowed requests (PASS), keep inspecting
};
// Wait and Progress also hold a request that waits for its name to be resolved (Flow::awaiting set): the caller
// resolves it and inspects the flow again once the answer is in (or the resolve failed).

struct InspectContext {
  const FlowKey& key;
  const std::string& client_ns;
  Counters& counters;
  std::vector<DecisionRecord>& records;  // one per decision taken in this step
  const BindingContext& binding;          // issue 17: hostname allows are bound to the name's addresses
};

Outcome inspect_tls(Flow& f, InspectContext& ctx);
Outcome inspect_http(Flow& f, InspectContext& ctx);
// HTTP/2 with prior knowledge (HTTP ports and gRPC ports): every request head / gRPC call decides.
Outcome inspect_h2(Flow& f, InspectContext& ctx);
// An allowed Upgrade/CONNECT request (and its body) has ended and `next`, the bytes right after it, cannot be HTTP
// to the server (a WebSocket frame, a TLS record in a tunnel): the server switched protocols, the connection is
// allowed as a whole. Bytes that may start a request (or the HTTP/2 preface) are for inspect_http.
bool switched_protocols(const Flow& f, std::span<const std::uint8_t> next);
// By the flow's mode: TLS -> inspect_tls; HTTP -> inspect_h2 when the bytes are the HTTP/2 preface, else
// inspect_http; gRPC -> inspect_h2 (anything else, TLS included, gets the port's default, as upstream).
Outcome inspect_flow(Flow& f, InspectContext& ctx);

// A record with the flow's addresses and network filled in (route, host, verdict, reason left to the caller).
DecisionRecord base_record(const policy::Plan& plan, const policy::Decision& l4, const FlowKey& k,
                           const std::string& client_ns);
// Fills route/verdict from a matcher decision taken on `policy` (Untouched counts as allow) and keeps the
// decision for its reason text (rendered when the record is printed).
void apply_decision(DecisionRecord& r, const std::shared_ptr<const CompiledPolicy>& policy,
                    const policy::Decision& d);
// Audit mode: a denial (route, default or name binding) on an audited EgressNetwork becomes an allow recorded as a
// would-deny (r.audit; the reason stays the denial's). Bound and parse denials are not passed here: what the
// enforcer cannot read or frame is denied in audit mode too. Counted in `c.audit_would_deny`. True when `r` is
// (now) an allow.
bool audit_denial(DecisionRecord& r, const policy::Plan& plan, const policy::Decision& d, Counters& c);

}  // namespace nfegress::enforcer
