// policy/suggest_internal.hpp — layer: pure policy. What suggest.cpp (grouping, EgressNetworks) and
// suggest_routes.cpp (routes per port) share: flow counters for the resource comments, YAML scalars, unique names.
// Must not: do I/O.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "policy/suggest.hpp"

namespace nfegress::policy::suggest_detail {

using Records = std::vector<const SuggestRecord*>;

struct Stats {
  std::size_t allow = 0, deny = 0;
  std::string last;  // the latest timestamp (RFC 3339 UTC: text order is time order)
  void add(const SuggestRecord& r);
  static Stats of(const Records& rs);
  std::string comment() const;  // "# covers N flows (allow A, deny D), last seen T\n"
};

// A YAML double-quoted scalar (JSON string syntax is valid YAML).
std::string q(std::string_view s);

// Resource names unique per kind in one namespace: "-2", "-3" ... appended on a clash; lower-case DNS labels.
class Names {
 public:
  std::string take(const std::string& kind, std::string base);

 private:
  std::set<std::pair<std::string, std::string>> used_;
};

// "---", the comment (and `note`, a comment line, when given), apiVersion, kind and metadata of one resource.
void header(std::string& out, const Stats& s, const char* api, const char* kind, const std::string& name,
            const std::string& ns, const std::string& note = "");

// The routes of one EgressNetwork's port, from the flows seen there (suggest_routes.cpp).
void write_routes(std::string& out, const std::string& ns, const std::string& network, std::uint16_t port,
                  const Records& flows, const SuggestOptions& o, Names& names);

}  // namespace nfegress::policy::suggest_detail
