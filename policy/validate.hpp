// policy/validate.hpp — layer: pure decision. Checks a loaded ResourceSet against docs/policy-reference.md
// ("Resources") and reports what loads but will not behave as a user might think (warnings). Collects every finding in
// one run; never stops at the first. No I/O.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/diagnostic.hpp"
#include "policy/ip.hpp"
#include "policy/model.hpp"

namespace nfegress::policy {

struct ValidateOptions {
  std::string global_ns = "linkerd-egress";
  std::vector<IpPrefix> cluster_networks;  // empty = the defaults (10/8, 100.64/10, 172.16/12, 192.168/16, fd00::/8)
  std::vector<std::uint16_t> default_opaque_ports = {25, 587, 3306, 4444, 5432, 6379, 9300, 11211};
};

Diagnostics validate(const ResourceSet& resources, const ValidateOptions& options = {});

// "25,587,1000-1002" -> ports (Linkerd's opaque-ports annotation syntax); nullopt when malformed.
std::optional<std::vector<std::uint16_t>> parse_port_list(std::string_view text);

// A valid Gateway API hostname: a lowercase DNS name (RFC 1123) or `*.` followed by one; not an IP address.
bool valid_hostname(std::string_view h);

// Location of a field for diagnostics: the exact field, else the nearest recorded parent, else the resource.
SourceLoc field_loc(const ObjectMeta& meta, const std::string& field);

}  // namespace nfegress::policy
