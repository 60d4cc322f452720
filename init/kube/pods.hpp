// init/kube/pods.hpp — layer: input (pure). Node mode (issue 18): which namespace each pod address on this
// node belongs to, from the Pod objects the API server lists (kube::PodWatcher, pod_watch.hpp). A pod counts with every address
// of status.podIPs (IPv4 and IPv6; status.podIP when the list is absent) unless it uses the host's network (its
// addresses are the node's), has no address yet, or has finished (phase Succeeded or Failed: its address may
// already belong to another pod). A terminating pod still counts: it sends traffic until it is gone.
// Must not: do I/O, log, throw on any input (a malformed object is an error naming the pod and the field).
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "policy/clients.hpp"

namespace nfegress::kube {

struct PodKey {
  std::string ns;
  std::string name;
  auto operator<=>(const PodKey&) const = default;
};

// What one Pod object contributes.
struct PodAddresses {
  std::vector<policy::Client> clients;  // one /32 or /128 per address, `where` = "Pod NS/NAME"
  std::string skipped;                  // why it contributes nothing on purpose ("hostNetwork", ...); "" otherwise
  std::vector<std::string> errors;      // "Pod NS/NAME: status.podIPs[1].ip: '10.0.0.300' is not an IP address"
  friend bool operator==(const PodAddresses&, const PodAddresses&) = default;
};

// metadata.namespace and metadata.name; nullopt with `error` set ("Pod: metadata.name: missing") without them.
std::optional<PodKey> pod_key(const nlohmann::json& pod, std::string& error);

// The addresses of one Pod object (errors for malformed fields; the well-formed addresses still count).
PodAddresses pod_addresses(const nlohmann::json& pod);

// The client list of a node: every pod's addresses, in the order policy::normalize_clients keeps (sorted by
// address); an address two pods of different namespaces claim keeps the first pod's (by namespace/name) and
// is an error naming both.
struct PodClients {
  std::vector<policy::Client> clients;
  std::vector<std::string> errors;  // every pod's, then the overlaps
  std::size_t pods = 0;             // pods seen, counted or not
};
PodClients pod_clients(const std::map<PodKey, PodAddresses>& pods);

}  // namespace nfegress::kube
