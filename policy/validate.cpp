// policy/validate.cpp — layer: pure decision. EgressNetwork rules of docs/policy-reference.md (trafficPolicy,
// networks, excepts), duplicate names, the opaque-ports annotation, shadowing of the global namespace and overlap with
// the cluster networks; routes are checked in validate_routes.cpp. Collects everything; no I/O.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "policy/validate_internal.hpp"

namespace nfegress::policy {
namespace detail {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_egress_parent(const ParentRef& p) {
  return lower(p.group) == "policy.linkerd.io" && lower(p.kind) == "egressnetwork";
}

std::vector<std::uint16_t> opaque_ports(const EgressNetwork& en, const ValidateOptions& options) {
  const auto it = en.meta.annotations.find("config.linkerd.io/opaque-ports");
  if (it != en.meta.annotations.end())
    if (auto ports = parse_port_list(it->second)) return *ports;
  return options.default_opaque_ports;
}

}  // namespace detail

namespace {

using detail::Findings;

constexpr const char* kOpaqueAnnotation = "config.linkerd.io/opaque-ports";

std::vector<IpPrefix> cluster_networks(const ValidateOptions& o) {
  if (!o.cluster_networks.empty()) return o.cluster_networks;
  std::vector<IpPrefix> out;
  for (const char* c : {"10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"})
    out.push_back(*parse_prefix(c));
  return out;
}

// Excepts of one network must not overlap (network sizes assume it); sort and compare neighbours.
void check_except_overlap(Findings& f, const Network& net, const std::string& field) {
  std::vector<std::size_t> idx;
  for (std::size_t j = 0; j < net.except.size(); ++j)
    if (parse_prefix(net.except_text[j])) idx.push_back(j);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    const auto& x = net.except[a];
    const auto& y = net.except[b];
    return std::tie(x.family, x.base, x.len) < std::tie(y.family, y.base, y.len);
  });
  for (std::size_t k = 1; k < idx.size(); ++k) {
    const auto& prev = net.except[idx[k - 1]];
    const auto& cur = net.except[idx[k]];
    if (prev.family == cur.family && prev.last() >= cur.first())
      f.warning(field + ".except[" + std::to_string(idx[k]) + "]",
                "exception '" + net.except_text[idx[k]] + "' overlaps exception '" + net.except_text[idx[k - 1]] +
                    "'");
  }
}

void check_network(Findings& f, const ObjectMeta& meta, const Network& net, const std::string& field,
                   const std::vector<IpPrefix>& cluster) {
  const auto cidr = parse_prefix(net.cidr_text);
  if (!cidr) {
    // An absent cidr was reported by the loader ("required"); say nothing more.
    if (net.cidr_text.empty() && !meta.field_locs.count(field + ".cidr")) return;
    f.error(field + ".cidr", "invalid cidr '" + net.cidr_text + "': not a CIDR or IP address");
    return;
  }
  for (std::size_t j = 0; j < net.except_text.size(); ++j) {
    const std::string ef = field + ".except[" + std::to_string(j) + "]";
    const auto& text = net.except_text[j];
    const auto ex = parse_prefix(text);
    // Linkerd's admission webhook (validate_networks) asks "completely negated" first, then "does not include":
    // an except larger than its cidr is reported as negating it. An except of the other family is neither.
    if (!ex) {
      f.error(ef, "invalid except '" + text + "': not a CIDR or IP address");
    } else if (ex->contains(*cidr)) {
      f.error(ef, "cidr '" + net.cidr_text + "' is completely negated by exception '" + text + "'");
    } else if (!cidr->contains(*ex)) {
      f.error(ef, "cidr '" + net.cidr_text + "' does not include exception '" + text + "'");
    }
  }
  if (net.except_text.size() > 1) check_except_overlap(f, net, field);
  for (const auto& c : cluster) {
    if (!cidr->intersects(c)) continue;
    auto& d = f.warning(field + ".cidr", "networks overlap with clusterNetworks: '" + net.cidr_text +
                                            "' intersects cluster network '" + format_prefix(c) +
                                            "'; not Accepted (EgressReasonNetworkOverlap), but traffic to it is "
                                            "still captured, as upstream does");
    d.condition = "Accepted";
    d.reason = "EgressReasonNetworkOverlap";
    break;
  }
}

void check_egress_network(const EgressNetwork& en, const ValidateOptions& options,
                          const std::vector<IpPrefix>& cluster, Diagnostics& out) {
  Findings f(out, en.meta, "EgressNetwork");
  const bool tp_present = en.meta.field_locs.count("spec.trafficPolicy") > 0;
  if (!tp_present)
    f.error("spec.trafficPolicy", "required (Allow or Deny)");
  else if (en.traffic_policy_text != "Allow" && en.traffic_policy_text != "Deny")
    f.error("spec.trafficPolicy", "unknown trafficPolicy '" + en.traffic_policy_text +
                                      "': must be Allow or Deny (case-sensitive)");
  if (en.networks) {
    if (en.networks->empty()) f.error("spec.networks", "at least one network must be specified");
    for (std::size_t i = 0; i < en.networks->size(); ++i)
      check_network(f, en.meta, (*en.networks)[i], "spec.networks[" + std::to_string(i) + "]", cluster);
  }
  const auto it = en.meta.annotations.find(kOpaqueAnnotation);
  if (it != en.meta.annotations.end() && !parse_port_list(it->second))
    f.error(std::string("metadata.annotations.") + kOpaqueAnnotation,
            "invalid port list '" + it->second + "' (e.g. \"25,587,1000-1010\")");
  const auto mode = en.meta.annotations.find(kModeAnnotation);
  if (mode != en.meta.annotations.end() && mode->second != kModeAudit && mode->second != kModeEnforce)
    f.error(std::string("metadata.annotations.") + kModeAnnotation,
            "unknown mode '" + mode->second + "': must be " + kModeAudit + " or " + kModeEnforce + " (case-sensitive)");
  (void)options;
}

template <class T>
void check_duplicates(const std::vector<T>& items, Diagnostics& out) {
  std::map<std::tuple<std::string, std::string, std::string>, const ObjectMeta*> seen;
  for (const auto& x : items) {
    std::string kind;
    if constexpr (std::is_same_v<T, Route>)
      kind = x.api_group + "/" + route_kind_name(x.kind);
    else
      kind = "EgressNetwork";
    const auto [it, fresh] = seen.emplace(std::make_tuple(kind, x.meta.ns, x.meta.name), &x.meta);
    if (fresh || x.meta.name.empty()) continue;
    std::string printable;
    if constexpr (std::is_same_v<T, Route>) printable = route_kind_name(x.kind);
    else printable = "EgressNetwork";
    Findings f(out, x.meta, printable);
    const auto& first = it->second->loc;
    f.error("metadata.name", "duplicate " + printable + " " + x.meta.ns + "/" + x.meta.name +
                                 " (first defined at " + first.file + ":" + std::to_string(first.line) + ")");
  }
}

// A namespace with its own EgressNetworks ignores the global ones for its clients.
void check_shadowing(const ResourceSet& rs, const ValidateOptions& options, Diagnostics& out) {
  std::vector<std::string> globals;
  std::map<std::string, const EgressNetwork*> first_local;  // namespace -> first by name
  for (const auto& en : rs.networks) {
    if (en.meta.ns == options.global_ns) {
      globals.push_back(en.meta.name);
      continue;
    }
    auto& slot = first_local[en.meta.ns];
    if (!slot || en.meta.name < slot->meta.name) slot = &en;
  }
  if (globals.empty()) return;
  std::sort(globals.begin(), globals.end());
  std::string names;
  for (std::size_t i = 0; i < globals.size() && i < 3; ++i) names += (i ? ", " : "") + globals[i];
  if (globals.size() > 3) names += ", ...";
  for (const auto& [ns, en] : first_local) {
    Findings f(out, en->meta, "EgressNetwork");
    f.warning("metadata.namespace", "namespace '" + ns + "' has its own EgressNetworks, so the global ones in '" +
                                        options.global_ns + "' (" + names + ") do not apply to clients in '" + ns +
                                        "', not even for destinations no EgressNetwork of '" + ns + "' captures");
  }
}

}  // namespace

SourceLoc field_loc(const ObjectMeta& meta, const std::string& field) {
  std::string f = field;
  while (!f.empty()) {
    if (const auto* at = meta.field_locs.find(f)) return SourceLoc{meta.loc.file, at->line, at->column};
    const auto cut = f.find_last_of(".[");
    if (cut == std::string::npos) break;
    f.resize(cut);
  }
  return meta.loc;
}

std::optional<std::vector<std::uint16_t>> parse_port_list(std::string_view text) {
  std::vector<std::uint16_t> out;
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  auto num = [](std::string_view s, unsigned& v) {
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && p == s.data() + s.size() && v >= 1 && v <= 65535;
  };
  std::set<std::uint16_t> ports;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) return std::nullopt;
    const auto dash = item.find('-');
    unsigned lo = 0, hi = 0;
    if (dash == std::string_view::npos) {
      if (!num(item, lo)) return std::nullopt;
      hi = lo;
    } else if (!num(trim(item.substr(0, dash)), lo) || !num(trim(item.substr(dash + 1)), hi) || lo > hi) {
      return std::nullopt;
    }
    for (unsigned p = lo; p <= hi; ++p) ports.insert(static_cast<std::uint16_t>(p));
  }
  return std::vector<std::uint16_t>(ports.begin(), ports.end());
}

bool valid_hostname(std::string_view h) {
  if (h.size() > 2 && h[0] == '*' && h[1] == '.') h.remove_prefix(2);
  if (h.empty() || h.size() > 253) return false;
  if (parse_ip(h)) return false;
  std::size_t label = 0;
  char prev = '.';
  for (char c : h) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

Diagnostics validate(const ResourceSet& rs, const ValidateOptions& options) {
  Diagnostics out;
  const auto cluster = cluster_networks(options);
  detail::NetworkIndex index;
  for (const auto& en : rs.networks) {
    check_egress_network(en, options, cluster, out);
    index.emplace(std::make_pair(en.meta.ns, en.meta.name), &en);
  }
  check_duplicates(rs.networks, out);
  check_duplicates(rs.routes, out);
  check_shadowing(rs, options, out);
  detail::validate_routes(rs, index, options, out);
  return out;
}

}  // namespace nfegress::policy
