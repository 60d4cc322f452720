// policy/validate_internal.hpp — layer: pure decision (internal to validate). Shared helpers of validate.cpp
// (EgressNetworks, names, namespaces) and validate_routes.cpp (routes, conflicts, backends). No I/O.
#pragma once
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "policy/validate.hpp"

namespace nfegress::policy::detail {

// Collects diagnostics about one resource.
class Findings {
 public:
  Findings(Diagnostics& out, const ObjectMeta& meta, std::string kind) : out_(out), meta_(meta), kind_(std::move(kind)) {}
  Diagnostic& error(const std::string& field, std::string message) { return add(Severity::Error, field, std::move(message)); }
  Diagnostic& warning(const std::string& field, std::string message) {
    return add(Severity::Warning, field, std::move(message));
  }

 private:
  Diagnostic& add(Severity s, const std::string& field, std::string message) {
    Diagnostic d;
    d.severity = s;
    d.loc = field_loc(meta_, field);
    d.kind = kind_;
    d.ns = meta_.ns;
    d.name = meta_.name;
    d.field = field;
    d.message = std::move(message);
    out_.push_back(std::move(d));
    return out_.back();
  }
  Diagnostics& out_;
  const ObjectMeta& meta_;
  std::string kind_;
};

// EgressNetworks by namespace/name (first definition wins, as duplicates are errors anyway).
using NetworkIndex = std::map<std::pair<std::string, std::string>, const EgressNetwork*>;

bool is_egress_parent(const ParentRef& p);
std::string lower(std::string s);

// Opaque ports of an EgressNetwork: its `config.linkerd.io/opaque-ports` annotation, else the defaults.
std::vector<std::uint16_t> opaque_ports(const EgressNetwork& en, const ValidateOptions& options);

void validate_routes(const ResourceSet& rs, const NetworkIndex& networks, const ValidateOptions& options,
                     Diagnostics& out);

// Empty when the pattern compiles (ECMAScript std::regex, with size limits), else the reason.
std::string regex_problem(const std::string& pattern);

}  // namespace nfegress::policy::detail
