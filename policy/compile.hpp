// policy/compile.hpp — layer: pure decision. Resources -> Plan for one client namespace (the semantics of
// docs/policy-reference.md: which EgressNetwork a client sees and owns an address, which routes count per port).
// No kernel, no I/O.
#pragma once
#include "policy/model.hpp"
#include "policy/plan.hpp"

namespace nfegress::policy {

Plan compile(const ResourceSet& resources, const std::string& client_ns, const CompileOptions& options = {},
             const KernelOptions& kernel = {});

}  // namespace nfegress::policy
