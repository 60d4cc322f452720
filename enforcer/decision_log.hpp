// enforcer/decision_log.hpp — layer: operations (thin I/O over a pure formatter). One JSON object per line for
// every decision the enforcer makes (a DecisionRecord from the engine): timestamp, destination, client namespace,
// EgressNetwork, route, host, verdict, reason, then source, protocol, method and path. format_decision() is pure
// (the caller gives the time); DecisionLog writes whole lines under a lock so concurrent writers never interleave:
// one line (write) or a queue worker's lines of one tick (append_line into the worker's buffer, then write_lines).
// Must not: decide anything, read policy, block on anything but the stream it was given.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "enforcer/decision.hpp"
#include "policy/ip.hpp"
#include "policy/plan.hpp"

namespace nfegress::enforcer {

// "ip:port" with brackets for IPv6.
std::string format_endpoint(const policy::IpAddr& ip, std::uint16_t port);
// "HTTPRoute ns/name" for a route, "default NAME" for a default route, "" for none.
std::string format_route(const std::optional<policy::RouteRef>& r);

// The record's reason line: the enforcer's own ("bound: ...", "parse: ...") or the matcher's, rendered from the
// plan the decision was taken on.
std::string record_reason(const DecisionRecord& r);

// RFC 3339 UTC with milliseconds: "2026-12-01T22:04:05.123Z".
std::string format_timestamp(std::chrono::system_clock::time_point t);

// The JSON line (without the newline). Every key is always present ("" when unknown), in a fixed order:
// timestamp, dst, namespace, egressNetwork, route, host, verdict, reason, src, protocol, method, path. An audited
// network's would-deny adds "audit":"deny" right after "verdict" (which is then "allow"); a 403 adds "response".
std::string format_decision(const DecisionRecord& r, std::chrono::system_clock::time_point t);

class DecisionLog {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  explicit DecisionLog(std::ostream& out, Clock clock = [] { return std::chrono::system_clock::now(); });

  void write(const DecisionRecord& r);
  // Issue 19: the record's line, with its newline and the clock's time, appended to `lines` (no lock, no I/O)...
  void append_line(const DecisionRecord& r, std::string& lines) const;
  // ... and whole lines written as one block and flushed under the lock (one per queue worker's tick).
  void write_lines(std::string_view lines);
  // As a DecisionCallback for Runtime::set_decision_callback / Engine::set_decision_callback.
  DecisionCallback callback() {
    return [this](const DecisionRecord& r) { write(r); };
  }

 private:
  std::mutex mu_;
  std::ostream& out_;
  Clock clock_;
};

}  // namespace nfegress::enforcer
