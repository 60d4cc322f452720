// policy/suggest.hpp — layer: pure policy. `nfegress suggest`: from decision-log records (enforcer/decision_log.hpp,
// one JSON object per line) to the EgressNetworks and routes that would have allowed every flow seen, as YAML text
// the loader accepts. Grouped by client namespace, one Deny EgressNetwork per network seen whose networks are the
// destination addresses (optionally aggregated), and per (network, port) the routes of the protocol seen there.
// Deterministic: the output depends only on the set of records, never on their order.
// Must not: read files or streams, print, consult the clock (the caller reads the lines; timestamps are the log's).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/ip.hpp"

namespace nfegress::policy {

// One decision-log line, reduced to what a suggestion needs.
struct SuggestRecord {
  std::string timestamp;  // "timestamp": RFC 3339 UTC with milliseconds, so text order is time order
  IpAddr dst;             // "dst" IP:PORT or [IPv6]:PORT
  std::uint16_t port = 0;
  std::string client_ns;  // "namespace" (the enforcer's --namespace; "" when it had none)
  std::string network;    // "egressNetwork" "ns/name", "" when none captured the address
  std::string protocol;   // "tls", "http", "http2", "grpc", "unknown"
  std::string host;       // SNI or HTTP Host/:authority, "" when none
  std::string method, path;
  bool denied = false;    // "verdict":"deny", or "audit":"deny" (a would-deny of an audited network)
};

// Parses one decision-log line. nullopt when it is not a JSON object with the decision-log keys (timestamp, dst,
// namespace, egressNetwork, verdict, protocol, host as strings; method and path strings when present); `why`
// (when given) then says what was wrong.
std::optional<SuggestRecord> parse_decision_line(std::string_view line, std::string* why = nullptr);

struct SuggestOptions {
  std::string global_ns = "linkerd-egress";  // resources of records without a client namespace go here
  std::string ns;                            // non-empty: every resource in this namespace (one group)
  unsigned aggregate_v4 = 32;                // addresses sharing a /N are merged into their smallest cover
  unsigned aggregate_v6 = 128;
  unsigned path_depth = 1;                   // PathPrefix keeps this many segments of each path seen
  unsigned wildcard_depth = 0;               // 0: exact hostnames only; N: *.LAST-N-LABELS when 2+ names share it
  bool catch_all = true;                     // add a Deny EgressNetwork without networks (every other address)
  // Ports where only TCPRoutes apply (CompileOptions::default_opaque_ports: what the suggested EgressNetworks,
  // which carry no opaque-ports annotation, get).
  std::vector<std::uint16_t> opaque_ports = {25, 587, 3306, 4444, 5432, 6379, 9300, 11211};
};

// The YAML (a multi-document stream with a comment before each resource), or a comment saying nothing was seen.
std::string suggest(const std::vector<SuggestRecord>& records, const SuggestOptions& options);

// Helpers, exposed for tests.
// Lower-case, without a trailing dot or a :port; "" when the result is not a valid route hostname (IP, empty).
std::string suggest_hostname(std::string_view host);
// The first `depth` segments of a request path ("/api/v1/x", 1 -> "/api"); "/" for "", "/", "*" or a path that
// does not start with '/'; the query and fragment are dropped.
std::string suggest_path_prefix(std::string_view path, unsigned depth);

}  // namespace nfegress::policy
