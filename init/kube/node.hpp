// init/kube/node.hpp — layer: input (pure). `nfegress node --deny-unknown node` (issue 18): this node's pod
// ranges from its Node object (GET /api/v1/nodes/NAME, init/node_pods.cpp): spec.podCIDRs (IPv4 and IPv6,
// Kubernetes >= 1.16), spec.podCIDR when that list is absent or empty. A Node without either (CNIs with their own
// IPAM, e.g. Calico's default) yields no ranges: the caller refuses to start rather than run without.
// Must not: do I/O, log, throw on any input (a malformed object is an error naming the node and the field).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policy/clients.hpp"
#include "policy/ip.hpp"

namespace nfegress::kube {

struct NodeCidrs {
  std::string name;                    // metadata.name ("" when missing)
  std::string field;                   // where the ranges came from: "spec.podCIDRs", "spec.podCIDR" or ""
  std::vector<policy::IpPrefix> cidrs; // in the object's order, duplicates dropped
  std::vector<std::string> errors;     // "Node n1: spec.podCIDRs[1]: '10.0.0.0/33' is not a CIDR"
};

NodeCidrs node_pod_cidrs(const nlohmann::json& node);

// The clients (this node's pod addresses) outside every range of their family, as "ADDRESS (Pod NS/NAME)": a
// Node whose spec.podCIDRs the CNI does not allocate from (Calico IPAM on a cluster whose controller manager still
// assigns node CIDRs) must not be trusted, since other nodes' pods may then sit inside "this node's" ranges.
// A family without a range is not checked.
std::vector<std::string> outside_ranges(const std::vector<policy::Client>& clients,
                                        const std::vector<policy::IpPrefix>& ranges);

}  // namespace nfegress::kube
