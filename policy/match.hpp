// policy/match.hpp — layer: pure decision. Given a plan and what is known about a flow (destination, protocol,
// and when inspected: SNI or HTTP request), decide allow/deny/untouched and say why. Used by `explain` and by the
// enforcer's verdict path: no I/O, no allocation (the Decision is plain values; its text is rendered on demand),
// no exceptions on the decide() path.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/plan.hpp"

namespace nfegress::policy {

enum class Proto : std::uint8_t { Tcp, Udp, Other };

// What the traffic carried. Absent fields are absent from the traffic (no SNI, not HTTP, ...).
struct RequestInfo {
  std::optional<std::string> sni;    // TLS ClientHello server_name, lowercased, no trailing dot
  bool tls = false;                  // a ClientHello was seen (with or without SNI)
  bool http = false;                 // an HTTP request was seen (fields below valid)
  std::optional<std::string> host;   // Host / :authority without port, lowercased
  std::string method;
  std::string path;                  // request target path (query string split into query)
  std::string query;                 // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  bool grpc = false;                 // HTTP/2 with application/grpc: path is /pkg.Service/Method
};

enum class DecisionKind : std::uint8_t { Allow, Deny, Untouched };

// Which of the matcher's reasons applies; reason_text() renders it (with the Decision's arguments) as one line.
enum class ReasonCode : std::uint8_t {
  NoNetwork,      // no EgressNetwork captures `dst`
  NonTcp,         // UDP/other to `network`
  NoPortRoute,    // no route for `port`: trafficPolicy decides
  Inspected,      // decide_l4 only: `port` is inspected, the request decides
  TakenByRoute,   // a TCPRoute (`route`) takes `port`
  KernelDecided,  // every route on `port` agrees with trafficPolicy: decided in the kernel
  NotTls,         // the port's default (`default_kind`) decides from here on
  TlsWithoutSni,
  NotHttp,
  NoTlsMatch,     // `host` is the SNI
  NoHttpMatch,    // HTTPRoute or GRPCRoute (`default_kind`)
  Matched,        // `route` rule `rule` matched by `host_match` (`host` from `match_offset`), `outcome`
};

enum class HostMatch : std::uint8_t { Exact, Wildcard, Any };
enum class RouteSource : std::uint8_t { None, Route, Port, Default };

// What the matcher decided and why, as plain values: building one allocates nothing. The texts (route names,
// reason line) are rendered from the plan only where they are printed: route_of() and reason_text().
struct Decision {
  DecisionKind kind = DecisionKind::Untouched;
  std::optional<std::uint32_t> network;  // index into Plan::networks
  // decide_l4 on a port whose verdict is Inspect: the request decides. `kind` is then what happens when
  // nothing useful is seen (the port's default), `inspection` says what the enforcer must extract.
  bool needs_inspection = false;
  Inspection inspection = Inspection::None;

  // The route that decided: Route = Plan::routes[route], Port = the PortPolicy's own route (kernel verdict),
  // Default = {tcp,tls,http,grpc}-egress-{allow,deny} of the network for `default_kind`.
  RouteSource route_source = RouteSource::None;
  Inspection default_kind = Inspection::None;
  ReasonCode reason = ReasonCode::NoNetwork;
  bool kernel_decided = false;  // a match on a port the kernel decides: its KernelDecided reason follows
  HostMatch host_match = HostMatch::Any;
  std::uint8_t outcome = 0;      // Matched: the rule's outcome (let through / not honoured / invalid)
  std::uint16_t port = 0;
  std::uint16_t host_len = 0;    // NoTlsMatch, Matched: the normalized request host is host[0, host_len)
  // A host longer than any DNS name (more than host.size() bytes): it matches no hostname, only routes without
  // hostnames. host_oversize is its length in bytes and host[0, host_len) keeps its first kHostKept bytes, as
  // sent, for the reason text. 0 when the host fits.
  std::uint32_t host_oversize = 0;
  static constexpr std::size_t kHostKept = 32;
  std::uint16_t match_offset = 0;  // Matched by a wildcard: the matched suffix starts here
  std::uint32_t route = 0;
  std::uint32_t rule = 0;
  IpAddr dst;                    // NoNetwork
  std::array<char, 256> host{};  // longer names never match a hostname (DNS names are at most 253 bytes)

  std::string_view host_view() const { return {host.data(), host_len}; }
};

// The route that decided as explain and the decision log name it (nullopt: none). `plan` is the one decided on.
std::optional<RouteRef> route_of(const Plan& plan, const Decision& d);
// One human-readable line saying why.
std::string reason_text(const Plan& plan, const Decision& d);

// Built once per plan (indexes hostnames so matching does not scan every route).
class Matcher {
 public:
  explicit Matcher(const Plan& plan);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Kernel-level decision from the destination alone. Verdict::Inspect means the request decides.
  // `trace` (explain's "why" lines) is filled only when given.
  Decision decide_l4(const IpAddr& dst, std::uint16_t port, Proto proto,
                     std::vector<std::string>* trace = nullptr) const;
  // Full decision including the inspected request (for Inspect ports; for others equals decide_l4).
  // Allocation-free without `trace`.
  Decision decide(const IpAddr& dst, std::uint16_t port, Proto proto, const RequestInfo& req,
                  std::vector<std::string>* trace = nullptr) const;
  std::string reason(const Decision& d) const { return reason_text(plan(), d); }
  std::optional<RouteRef> route(const Decision& d) const { return route_of(plan(), d); }

  const Plan& plan() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nfegress::policy
