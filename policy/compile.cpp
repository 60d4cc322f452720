// policy/compile.cpp — layer: pure decision. Resources -> Plan for one client namespace: candidate
// selection, the CompiledNetwork defaults and the address partition (docs/policy-reference.md, "Which client sees
// which EgressNetwork"); ports and routes live in compile_ports.cpp.
// Must not: touch the kernel, read files, depend on anything outside policy/.
#include "policy/compile.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "policy/compile_internal.hpp"
#include "policy/compile_partition.hpp"

namespace nfegress::policy {
namespace detail {

std::vector<std::size_t> select_candidates(const ResourceSet& rs, const std::string& client_ns,
                                           const std::string& global_ns, Diagnostics* diagnostics) {
  std::vector<std::size_t> local, global;
  for (std::size_t i = 0; i < rs.networks.size(); ++i) {
    if (rs.networks[i].meta.ns == client_ns) local.push_back(i);
    else if (rs.networks[i].meta.ns == global_ns) global.push_back(i);
  }
  // A namespace with at least one EgressNetwork never falls back to the global ones (upstream behaviour).
  std::vector<std::size_t> out = local.empty() ? global : local;
  if (!local.empty() && !global.empty() && diagnostics) {
    Diagnostic d;
    d.severity = Severity::Warning;
    d.message = std::to_string(global.size()) + " EgressNetwork(s) in the global namespace '" + global_ns +
                "' are ignored for clients in '" + client_ns + "' because '" + client_ns +
                "' has its own EgressNetwork(s) (shadowing; traffic they would capture is untouched unless a "
                "local EgressNetwork captures it)";
    diagnostics->push_back(std::move(d));
  }
  std::stable_sort(out.begin(), out.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(rs.networks[a].meta.ns, rs.networks[a].meta.name) <
           std::tie(rs.networks[b].meta.ns, rs.networks[b].meta.name);
  });
  std::vector<std::size_t> unique;
  for (std::size_t i : out) {
    if (!unique.empty() && rs.networks[unique.back()].meta.ns == rs.networks[i].meta.ns &&
        rs.networks[unique.back()].meta.name == rs.networks[i].meta.name) {
      if (diagnostics) {
        const auto& m = rs.networks[i].meta;
        diagnostics->push_back(Diagnostic{Severity::Warning, m.loc, "EgressNetwork", m.ns, m.name, "",
                                          "duplicate EgressNetwork: only the first one read is used"});
      }
      continue;
    }
    unique.push_back(i);
  }
  return unique;
}

}  // namespace detail

namespace {

void warn_cluster_overlap(const EgressNetwork& en, const std::vector<IpPrefix>& cluster, Diagnostics& diags) {
  if (!en.networks) return;
  for (std::size_t i = 0; i < en.networks->size(); ++i) {
    const auto& n = (*en.networks)[i];
    for (const auto& c : cluster) {
      if (!n.cidr.intersects(c)) continue;
      diags.push_back(Diagnostic{Severity::Warning, en.meta.loc, "EgressNetwork", en.meta.ns, en.meta.name,
                                 "spec.networks[" + std::to_string(i) + "].cidr",
                                 "cidr '" + n.cidr_text + "' intersects cluster network '" + format_prefix(c) +
                                     "' (EgressReasonNetworkOverlap: not Accepted upstream); nfegress still "
                                     "captures it, as upstream does"});
    }
  }
}

}  // namespace

Plan compile(const ResourceSet& resources, const std::string& client_ns, const CompileOptions& options,
             const KernelOptions& kernel) {
  Plan plan;
  plan.client_ns = client_ns;
  plan.options = options;
  plan.kernel = kernel;
  const auto cluster = options.cluster_networks.empty() ? default_cluster_networks() : options.cluster_networks;

  const auto cands = detail::select_candidates(resources, client_ns, options.global_ns, &plan.diagnostics);

  // Rank for ties of equal size (older creationTimestamp, namespace, name); plan.networks itself is sorted by
  // namespace/name.
  std::vector<std::uint32_t> order(cands.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return detail::candidate_before(resources.networks[cands[a]], resources.networks[cands[b]]);
  });
  std::vector<std::uint32_t> rank(cands.size());
  for (std::uint32_t r = 0; r < order.size(); ++r) rank[order[r]] = r;

  std::vector<detail::WeightedRange> ranges4, ranges6;
  std::size_t pieces = 0;  // at least one piece per network: reserve once instead of growing 100k-element vectors
  for (std::size_t c : cands) pieces += resources.networks[c].networks ? resources.networks[c].networks->size() : 1;
  ranges4.reserve(pieces);
  ranges6.reserve(pieces);
  for (std::uint32_t i = 0; i < cands.size(); ++i) {
    const EgressNetwork& en = resources.networks[cands[i]];
    CompiledNetwork cn;
    cn.ns = en.meta.ns;
    cn.name = en.meta.name;
    cn.traffic_policy = en.traffic_policy;
    const bool allow = en.traffic_policy == TrafficPolicy::Allow;
    cn.tcp_default = allow ? Verdict::Allow : Verdict::Deny;
    // Deny means deny for non-TCP too (documented difference: upstream never sees UDP); --allow-udp restores it.
    cn.other_default = allow || options.allow_udp ? Verdict::Allow : Verdict::Deny;
    cn.opaque_ports = options.default_opaque_ports;
    // Audit changes nothing of what is compiled below, only what a denial does (netfilter/ruleset.cpp, the enforcer).
    const auto mode = en.meta.annotations.find(kModeAnnotation);
    cn.audit = options.audit_all || (mode != en.meta.annotations.end() && mode->second == kModeAudit);
    if (auto it = en.meta.annotations.find(std::string(detail::kOpaquePortsAnnotation));
        it != en.meta.annotations.end()) {
      std::vector<std::uint16_t> ports;
      if (detail::parse_opaque_ports(it->second, ports)) {
        cn.opaque_ports = std::move(ports);
      } else {
        plan.diagnostics.push_back(Diagnostic{
            Severity::Warning, en.meta.loc, "EgressNetwork", en.meta.ns, en.meta.name,
            "metadata.annotations[config.linkerd.io/opaque-ports]",
            "cannot parse '" + it->second + "' (expected ports and ranges like 25,4000-4010); using the default "
                                            "opaque ports"});
      }
    }
    std::sort(cn.opaque_ports.begin(), cn.opaque_ports.end());
    cn.opaque_ports.erase(std::unique(cn.opaque_ports.begin(), cn.opaque_ports.end()), cn.opaque_ports.end());
    plan.networks.push_back(std::move(cn));

    warn_cluster_overlap(en, cluster, plan.diagnostics);
    for (const auto& np : detail::effective_networks(en, cluster)) {
      auto& dst = np.family == Family::V4 ? ranges4 : ranges6;
      for (const auto& [lo, hi] : np.pieces) dst.push_back({lo, hi, np.size_m1, rank[i], i});
    }
  }
  plan.v4 = detail::flatten(std::move(ranges4));
  plan.v6 = detail::flatten(std::move(ranges6));

  detail::compile_ports(resources, plan);
  return plan;
}

}  // namespace nfegress::policy
