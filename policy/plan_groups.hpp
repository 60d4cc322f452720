// policy/plan_groups.hpp — layer: pure decision. Node and gateway mode (docs/architecture.md, "Node mode"): the
// plans of several client namespaces, with namespaces that see the same policy sharing one compiled plan. A
// namespace without EgressNetworks of its own sees the global ones, minus routes scoped to other namespaces, so
// most namespaces share the global plan; one with local EgressNetworks, or with a route of its own attached to a
// global EgressNetwork, gets its own unless it compiles to the same enforcement as another.
// Must not: touch the kernel, read files.
#pragma once
#include <string>
#include <vector>

#include "policy/model.hpp"
#include "policy/plan.hpp"

namespace nfegress::policy {

// One compiled plan and the client namespaces it enforces. `id` is stable across updates (a pod coming or going
// never renames a plan): "global" for the plan of namespaces that see only the global policy, else "ns_<name>"
// after the first namespace (sorted) whose own resources made it. The kernel names the plan's chains and maps
// after it (netfilter/ruleset_node.cpp).
struct SharedPlan {
  std::string id;
  std::vector<std::string> namespaces;  // sorted, unique
  Plan plan;                            // compiled for namespaces.front()
};

// What decides a namespace's plan before compiling it: "" when the namespace sees the global plan unchanged (no
// EgressNetwork of its own, no route of its own attached to an EgressNetwork in another namespace), else the
// namespace itself.
std::string plan_key(const ResourceSet& resources, const std::string& client_ns, const std::string& global_ns);

// Two plans that enforce the same thing (networks, ports, routes, address partition, kernel options); the client
// namespace and the compiler's warnings do not count.
bool same_enforcement(const Plan& a, const Plan& b);

// The plans of `namespaces` (any order, duplicates ignored), each compiled once per key and merged when two keys
// compile to the same enforcement. Sorted by id ("global" first).
std::vector<SharedPlan> plans_by_client(const ResourceSet& resources, std::vector<std::string> namespaces,
                                        const CompileOptions& options = {}, const KernelOptions& kernel = {});

}  // namespace nfegress::policy
