// policy/explain.hpp — layer: pure decision. `nfegress explain`: one query (destination, protocol and what the
// traffic carried) against resources compiled for a client namespace -> the Decision plus why: candidates and
// their sizes, the tie-break that decided, routes considered, conflicts and shadowing that applied. Also the
// pure helpers the CLI needs (destination parsing, request from flags, JSON/text rendering). No I/O.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/match.hpp"
#include "policy/model.hpp"
#include "policy/plan.hpp"

namespace nfegress::policy {

struct ExplainQuery {
  IpAddr dst;
  std::uint16_t port = 0;
  Proto proto = Proto::Tcp;
  RequestInfo request;  // absent fields are absent from the traffic
};

struct Explanation {
  Decision decision;                     // kind/network as the matcher decided
  std::optional<std::string> network;    // "ns/name"
  std::optional<RouteRef> route;         // the route (or default route) that decided
  std::string reason;                    // the matcher's reason, rendered
  std::vector<std::string> why;          // text lines: candidates, tie-break, routes, diagnostics that applied
  bool audited = false;                  // the network is in audit mode: a deny is let through (a would-deny)
  // An audited network's denial: what the enforcer lets through and records as `"audit":"deny"`.
  bool would_deny() const { return audited && decision.kind == DecisionKind::Deny; }
};

// Compiles `resources` for `client_ns` and explains the query.
Explanation explain(const ResourceSet& resources, const std::string& client_ns, const CompileOptions& options,
                    const ExplainQuery& query);
// Same with an already compiled plan (must come from `resources`).
Explanation explain(const ResourceSet& resources, const Plan& plan, const ExplainQuery& query);

// {"decision": "allow"|"deny"|"untouched", "egressNetwork": "ns/name"|null,
//  "route": {"kind","namespace","name"}|null, "reason": "..."}  (one line, newline-terminated); an audited
// network's denial is "decision": "allow" with "audit": "deny" after "reason", as in the decision log.
std::string explanation_json(const Explanation& e);
// The same fields as text, followed by the why lines; an audited network's denial reads
// "decision: allow (audit: would deny in enforce mode)".
std::string explanation_text(const Explanation& e);

// "192.0.2.1:443" or "[2001:db8::1]:443"; nullopt when malformed (port 0 is rejected).
std::optional<std::pair<IpAddr, std::uint16_t>> parse_destination(std::string_view s);
// "tcp" | "udp" (case-insensitive).
std::optional<Proto> parse_proto(std::string_view s);

// What explain's flags describe. --sni makes it TLS; --host/--path/--method/--header make it an HTTP request
// (path defaults to "/", a "?query" in --path is split off; content-type application/grpc marks gRPC).
struct RequestFlags {
  std::optional<std::string> sni, host, path, method;
  std::vector<std::string> headers;  // "NAME:VALUE"
};
// nullopt + `error` set when a header is not NAME:VALUE.
std::optional<RequestInfo> request_from_flags(const RequestFlags& f, std::string& error);

const char* decision_name(DecisionKind k);  // "allow", "deny", "untouched"

}  // namespace nfegress::policy
