// enforcer/client_policies.cpp — layer: pure flow state. See client_policies.hpp.
#include "enforcer/client_policies.hpp"

namespace nfegress::enforcer {

ClientPolicies::ClientPolicies(const std::vector<policy::SharedPlan>& plans, std::vector<policy::Client> cs,
                               const policy::KernelOptions& kernel)
    : ClientPolicies(plans, std::move(cs), kernel, nullptr) {}

ClientPolicies::ClientPolicies(const std::vector<policy::SharedPlan>& plans, std::vector<policy::Client> cs,
                               const policy::KernelOptions& kernel, const ClientPolicies* previous)
    : clients(std::move(cs)) {
  policy::Plan empty;
  empty.kernel = kernel;
  fallback = std::make_shared<const CompiledPolicy>(std::move(empty));
  for (const auto& p : plans) {
    std::shared_ptr<const CompiledPolicy> compiled;
    if (previous)
      if (auto it = previous->by_plan.find(p.id);
          it != previous->by_plan.end() && policy::same_enforcement(it->second->plan, p.plan) &&
          it->second->plan.kernel.mark_base == kernel.mark_base)
        compiled = it->second;
    if (!compiled) compiled = std::make_shared<const CompiledPolicy>(p.plan);
    by_plan[p.id] = compiled;
    for (const auto& ns : p.namespaces) by_ns[ns] = compiled;
  }
}

ClientPolicies::Found ClientPolicies::find(const policy::IpAddr& src) const {
  const policy::Client* c = policy::find_client(clients, src);
  if (!c) return {fallback, nullptr};
  const auto it = by_ns.find(c->ns);
  if (it == by_ns.end()) return {fallback, nullptr};
  return {it->second, &c->ns};
}

}  // namespace nfegress::enforcer
