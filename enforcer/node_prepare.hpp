// enforcer/node_prepare.hpp — layer: operations (decision of what to apply; pure apart from its cache's lock).
// Node and gateway mode's half of prepare_policy (reload.hpp): the input and the current clients become the
// shared plans (policy/plan_groups.hpp), the ClientPolicies the runtime decides flows with, and the node table
// (netfilter build_node_ruleset). Plans are cached by key while the resources stay the same, and compiled
// matchers are kept for plans that did not change, so a pod coming or going costs a lookup and a map element.
// Must not: touch the kernel (the Reloader commits), read files or the API (the caller gives the clients).
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "enforcer/client_policies.hpp"
#include "policy/load.hpp"
#include "policy/model.hpp"
#include "policy/plan.hpp"

namespace nfegress::enforcer {

struct ReloadConfig;
struct PreparedPolicy;

// Shared by the prepares of one command (any thread).
class NodeCache {
 public:
  std::mutex mu;
  std::optional<policy::ResourceSet> resources;  // what `by_key` was compiled from
  std::map<std::string, policy::Plan> by_key;
  std::shared_ptr<const ClientPolicies> previous;  // the last prepared (its matchers are reused)
};

// `config.clients` gives the clients (normalize_clients done by the caller); `config.node_cache` is used when set.
PreparedPolicy prepare_node_policy(const ReloadConfig& config, const policy::LoadResult& input);

}  // namespace nfegress::enforcer
