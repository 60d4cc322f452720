// init/kube/pods.hpp — layer: input (Kubernetes API objects -> node mode's clients), pure. A Pod of this node
// becomes the clients of its namespace: one /32 or /128 per status.podIPs entry. Not enforced, so no client:
// host-network pods (their address is the node's), pods without an address yet, and finished pods (phase
// Succeeded or Failed keep their podIPs, which the network may already have given to a new pod).
// Must not: talk to the API (pod_watch.hpp does), decide policy.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "policy/clients.hpp"
#include "policy/ip.hpp"

namespace nfegress::kube {

struct PodInfo {
  std::string ns;
  std::string name;
  std::vector<policy::IpAddr> ips;  // status.podIPs (status.podIP when the list is absent)
  bool host_network = false;
  bool finished = false;            // phase Succeeded or Failed
  friend bool operator==(const PodInfo&, const PodInfo&) = default;
};

// nullopt when the object is not a Pod with metadata.namespace and metadata.name.
std::optional<PodInfo> parse_pod(const nlohmann::json& object);

// "ns/name" -> pod, as the list and watch keep them.
using PodMap = std::map<std::string, PodInfo>;
std::string pod_key(const PodInfo& p);

// The clients the pods make (normalized). Two pods holding one address (a finished pod's address reused before
// the API says it finished): the first by namespace/name keeps it (the address stays enforced) and `conflicts`
// names both.
std::vector<policy::Client> pod_clients(const PodMap& pods, std::vector<std::string>* conflicts = nullptr);

}  // namespace nfegress::kube
