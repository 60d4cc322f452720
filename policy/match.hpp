// policy/match.hpp — layer: pure decision. Given a plan and what is known about a flow (destination, protocol,
// and when inspected: SNI or HTTP request), decide allow/deny/untouched and say why. Used by `explain` and by the
// enforcer's verdict path: no I/O, no allocation beyond the Decision, no exceptions on the decide() path.
#pragma once
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

struct Decision {
  DecisionKind kind = DecisionKind::Untouched;
  std::optional<std::uint32_t> network;  // index into Plan::networks
  std::optional<RouteRef> route;
  std::string reason;                    // one line, human readable
  std::vector<std::string> trace;        // explain's "why" lines (only filled when asked)
  // decide_l4 on a port whose verdict is Inspect: the request decides. `kind` is then what happens when
  // nothing useful is seen (the port's default), `inspection` says what the enforcer must extract.
  bool needs_inspection = false;
  Inspection inspection = Inspection::None;
};

// Built once per plan (indexes hostnames so matching does not scan every route).
class Matcher {
 public:
  explicit Matcher(const Plan& plan);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Kernel-level decision from the destination alone. Verdict::Inspect means the request decides.
  Decision decide_l4(const IpAddr& dst, std::uint16_t port, Proto proto, bool with_trace = false) const;
  // Full decision including the inspected request (for Inspect ports; for others equals decide_l4).
  Decision decide(const IpAddr& dst, std::uint16_t port, Proto proto, const RequestInfo& req,
                  bool with_trace = false) const;

  const Plan& plan() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nfegress::policy
