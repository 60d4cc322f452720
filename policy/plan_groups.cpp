// policy/plan_groups.cpp — layer: pure decision. See plan_groups.hpp. The key mirrors the compiler's own choices:
// select_candidates (local EgressNetworks hide the global ones) and compile_ports (a route in another namespace
// than its parent applies only to clients in the route's namespace).
// Must not: touch the kernel, read files.
#include "policy/plan_groups.hpp"

#include <algorithm>
#include <map>

#include "policy/compile.hpp"
#include "policy/compile_internal.hpp"

namespace nfegress::policy {
namespace {

bool attaches_elsewhere(const Route& r, const std::string& global_ns) {
  for (const auto& p : r.parents) {
    if (!detail::iequals(p.group, "policy.linkerd.io") || !detail::iequals(p.kind, "EgressNetwork")) continue;
    const std::string& pns = p.ns ? *p.ns : r.meta.ns;
    if (pns != r.meta.ns && pns == global_ns) return true;
  }
  return false;
}

}  // namespace

std::string plan_key(const ResourceSet& rs, const std::string& client_ns, const std::string& global_ns) {
  for (const auto& n : rs.networks)
    if (n.meta.ns == client_ns) return client_ns;
  for (const auto& r : rs.routes)
    if (r.meta.ns == client_ns && attaches_elsewhere(r, global_ns)) return client_ns;
  return "";
}

bool same_enforcement(const Plan& a, const Plan& b) {
  return a.networks == b.networks && a.v4 == b.v4 && a.v6 == b.v6 && a.routes == b.routes;
}

std::vector<SharedPlan> plans_by_client(const ResourceSet& rs, std::vector<std::string> namespaces,
                                        const CompileOptions& options, const KernelOptions& kernel) {
  std::sort(namespaces.begin(), namespaces.end());
  namespaces.erase(std::unique(namespaces.begin(), namespaces.end()), namespaces.end());
  std::map<std::string, std::vector<std::string>> by_key;  // "" (global) sorts first
  for (const auto& ns : namespaces) by_key[plan_key(rs, ns, options.global_ns)].push_back(ns);
  std::vector<SharedPlan> out;
  for (auto& [key, members] : by_key) {
    Plan plan = compile(rs, members.front(), options, kernel);
    auto same = std::find_if(out.begin(), out.end(), [&](const SharedPlan& s) { return same_enforcement(s.plan, plan); });
    if (same != out.end()) {
      same->namespaces.insert(same->namespaces.end(), members.begin(), members.end());
      std::sort(same->namespaces.begin(), same->namespaces.end());
      continue;
    }
    out.push_back(SharedPlan{key.empty() ? "global" : "ns_" + key, std::move(members), std::move(plan)});
  }
  return out;
}

}  // namespace nfegress::policy
