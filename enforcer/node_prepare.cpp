// enforcer/node_prepare.cpp — layer: operations. See node_prepare.hpp.
#include "enforcer/node_prepare.hpp"

#include "enforcer/reload.hpp"
#include "netfilter/ruleset.hpp"
#include "policy/plan_groups.hpp"

namespace nfegress::enforcer {

PreparedPolicy prepare_node_policy(const ReloadConfig& config, const policy::LoadResult& input) {
  PreparedPolicy out;
  auto errors_of = [&out](const std::vector<policy::Diagnostic>& ds, const std::string& prefix) {
    for (const auto& d : ds)
      if (d.severity == policy::Severity::Error) out.errors.push_back(prefix + d.format());
  };
  if (policy::has_errors(input.diagnostics)) {
    errors_of(input.diagnostics, "");
    return out;
  }
  std::vector<policy::Client> clients = config.clients();
  std::vector<std::string> namespaces;
  for (const auto& c : clients) namespaces.push_back(c.ns);
  NodeCache scratch;
  NodeCache& cache = config.node_cache ? *config.node_cache : scratch;
  std::lock_guard lock(cache.mu);  // one prepare at a time per command (the background reloader has one worker)
  if (!cache.resources || !(*cache.resources == input.resources)) {
    cache.by_key.clear();
    cache.resources = input.resources;
  }
  auto plans = policy::plans_by_client(input.resources, namespaces, config.compile, config.kernel, &cache.by_key);
  for (const auto& p : plans) errors_of(p.plan.diagnostics, "plan " + p.id + ": ");
  if (!out.errors.empty()) return out;
  out.desired = netfilter::build_node_ruleset(config.kernel, plans, clients, config.queue);
  out.clients = std::make_shared<const ClientPolicies>(plans, std::move(clients), config.kernel, cache.previous.get());
  cache.previous = out.clients;
  out.policy = out.clients->fallback;
  return out;
}

}  // namespace nfegress::enforcer
