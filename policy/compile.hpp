// policy/compile.hpp — layer: pure decision. Resources -> Plan for one client namespace (§2–§4 of
// egress-semantics.md). No kernel, no I/O.
#pragma once
#include "policy/model.hpp"
#include "policy/plan.hpp"

namespace nfegress::policy {

Plan compile(const ResourceSet& resources, const std::string& client_ns, const CompileOptions& options = {},
             const KernelOptions& kernel = {});

}  // namespace nfegress::policy
