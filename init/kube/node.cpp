// init/kube/node.cpp — layer: input (pure). See node.hpp. Must not: do I/O, log, throw.
#include "init/kube/node.hpp"

#include <algorithm>

#include "init/kube/json_field.hpp"

namespace nfegress::kube {

using nlohmann::json;

namespace {

// One range: a string in CIDR notation (a bare address is not a pod range).
void add_cidr(const json& v, const std::string& field, const std::string& where, NodeCidrs& out) {
  const auto p = v.is_string() && v.get<std::string>().find('/') != std::string::npos
                     ? policy::parse_prefix(v.get<std::string>())
                     : std::nullopt;
  if (!p) {
    out.errors.push_back(where + ": " + field + ": " + shown(v) + " is not a CIDR");
    return;
  }
  if (std::find(out.cidrs.begin(), out.cidrs.end(), *p) == out.cidrs.end()) out.cidrs.push_back(*p);
}

}  // namespace

NodeCidrs node_pod_cidrs(const json& node) {
  NodeCidrs out;
  if (!node.is_object()) {
    out.errors.push_back("Node: not an object");
    return out;
  }
  const json* md = member(node, "metadata");
  const json* name = md ? member(*md, "name") : nullptr;
  if (name && name->is_string()) out.name = name->get<std::string>();
  const std::string where = out.name.empty() ? "Node" : "Node " + out.name;
  const json* spec = member(node, "spec");
  if (spec && !spec->is_object()) {
    out.errors.push_back(where + ": spec: " + shown(*spec) + " is not an object");
    return out;
  }
  const json* list = spec ? member(*spec, "podCIDRs") : nullptr;
  if (list && !list->is_null() && !list->is_array()) {
    out.errors.push_back(where + ": spec.podCIDRs: " + shown(*list) + " is not a list");
    return out;
  }
  if (list && list->is_array() && !list->empty()) {
    out.field = "spec.podCIDRs";
    for (std::size_t i = 0; i < list->size(); ++i)
      add_cidr((*list)[i], "spec.podCIDRs[" + std::to_string(i) + "]", where, out);
    return out;
  }
  const json* one = spec ? member(*spec, "podCIDR") : nullptr;  // servers before 1.16 set only this
  if (one && !one->is_null() && *one != "") {
    out.field = "spec.podCIDR";
    add_cidr(*one, "spec.podCIDR", where, out);
  }
  return out;
}

std::vector<std::string> outside_ranges(const std::vector<policy::Client>& clients,
                                        const std::vector<policy::IpPrefix>& ranges) {
  std::vector<std::string> out;
  for (const auto& c : clients) {
    bool family_has_range = false, inside = false;
    for (const auto& r : ranges) {
      family_has_range |= r.family == c.prefix.family;
      inside |= r.contains(c.prefix);
    }
    if (family_has_range && !inside) out.push_back(policy::format_prefix(c.prefix) + " (" + c.where + ")");
  }
  return out;
}

}  // namespace nfegress::kube
