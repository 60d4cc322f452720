// enforcer/decision_log.hpp — layer: operations (thin I/O over a pure formatter). One JSON object per line for
// every decision the enforcer makes: destination, client namespace, EgressNetwork, route, host, verdict, reason and
// a UTC timestamp. format_decision() is pure (the caller gives the time); DecisionLog writes whole lines under a
// lock so concurrent writers never interleave.
// Must not: decide anything, read policy, block on anything but the stream it was given.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>

#include "policy/ip.hpp"
#include "policy/match.hpp"
#include "policy/plan.hpp"

namespace nfegress::enforcer {

// One decision as logged. Unknown fields are written as "" (every key is always present).
struct DecisionLogEntry {
  std::string dst;             // "203.0.113.10:443", "[2001:db8::1]:443"
  std::string ns;              // client namespace
  std::string egress_network;  // "ns/name" or "" (untouched)
  std::string route;           // "HTTPRoute ns/name", "default tls-egress-deny", or ""
  std::string host;            // SNI or HTTP Host, "" when none was seen
  std::string verdict;         // "allow" | "deny"
  std::string reason;          // one line
};

// "ip:port" with brackets for IPv6.
std::string format_endpoint(const policy::IpAddr& ip, std::uint16_t port);
// "HTTPRoute ns/name" for a route, "default NAME" for a default route, "" for none.
std::string format_route(const std::optional<policy::RouteRef>& r);
const char* verdict_name(policy::DecisionKind k);  // "allow", "deny", "untouched"

// A matcher decision as a log entry (the plan names the network).
DecisionLogEntry decision_entry(const policy::Plan& plan, const policy::Decision& d, const policy::IpAddr& dst,
                                std::uint16_t port, std::string_view host);

// RFC 3339 UTC with milliseconds: "2026-12-01T22:04:05.123Z".
std::string format_timestamp(std::chrono::system_clock::time_point t);

// The JSON line (without the newline). Keys in a fixed order: timestamp, dst, namespace, egressNetwork, route,
// host, verdict, reason.
std::string format_decision(const DecisionLogEntry& e, std::chrono::system_clock::time_point t);

class DecisionLog {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  explicit DecisionLog(std::ostream& out, Clock clock = [] { return std::chrono::system_clock::now(); });

  void write(const DecisionLogEntry& e);

 private:
  std::mutex mu_;
  std::ostream& out_;
  Clock clock_;
};

}  // namespace nfegress::enforcer
