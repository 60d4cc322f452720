// enforcer/client_policies.hpp — layer: pure flow state. Node and gateway mode: the policy a new flow starts with
// is its client's, found by the packet's source address (the kernel picked the same plan by the same address:
// netfilter build_node_ruleset). Immutable once built; an update builds a new one and swaps the pointer, flows
// keep the policy they started with. Must not: touch a socket, decide anything (the matcher does).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "enforcer/flow.hpp"
#include "policy/clients.hpp"
#include "policy/plan_groups.hpp"

namespace nfegress::enforcer {

struct ClientPolicies {
  // `plans` compiled into matchers once each (shared plans stay shared); `clients` as normalize_clients left
  // them; `kernel`: the options every plan was compiled with (marks, queues), also held by `fallback`.
  ClientPolicies(const std::vector<policy::SharedPlan>& plans, std::vector<policy::Client> clients,
                 const policy::KernelOptions& kernel);
  // Reuses the compiled policies of `previous` for plans that are unchanged (a pod coming or going recompiles
  // nothing).
  ClientPolicies(const std::vector<policy::SharedPlan>& plans, std::vector<policy::Client> clients,
                 const policy::KernelOptions& kernel, const ClientPolicies* previous);

  struct Found {
    std::shared_ptr<const CompiledPolicy> policy;  // the client's; `fallback` when the address is no client's
    const std::string* ns = nullptr;               // the client's namespace; nullptr: no client
  };
  Found find(const policy::IpAddr& src) const;

  std::vector<policy::Client> clients;
  std::map<std::string, std::shared_ptr<const CompiledPolicy>> by_ns;
  std::map<std::string, std::shared_ptr<const CompiledPolicy>> by_plan;  // plan id -> policy
  std::shared_ptr<const CompiledPolicy> fallback;                        // an empty plan with `kernel`
};

}  // namespace nfegress::enforcer
