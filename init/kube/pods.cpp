// init/kube/pods.cpp — layer: input (pure). See pods.hpp. Must not: do I/O, log, throw.
#include "init/kube/pods.hpp"

#include "init/kube/json_field.hpp"

namespace nfegress::kube {

using nlohmann::json;

namespace {

// One address of the pod, or an error naming `field`.
void add_address(const json* ip, const std::string& field, const std::string& where, PodAddresses& out) {
  if (!ip || !ip->is_string()) {
    out.errors.push_back(where + ": " + field + ": " + (ip ? shown(*ip) + " is not a string" : "missing"));
    return;
  }
  const auto addr = policy::parse_ip(ip->get<std::string>());
  if (!addr) {
    out.errors.push_back(where + ": " + field + ": " + shown(*ip) + " is not an IP address");
    return;
  }
  const std::uint8_t len = addr->family == policy::Family::V4 ? 32 : 128;
  out.clients.push_back({policy::IpPrefix{addr->family, addr->value, len}, "", where});
}

}  // namespace

std::optional<PodKey> pod_key(const json& pod, std::string& error) {
  const json* md = member(pod, "metadata");
  if (!pod.is_object()) {
    error = "Pod: not an object";
    return std::nullopt;
  }
  if (!md || !md->is_object()) {
    error = "Pod: metadata: missing or not an object";
    return std::nullopt;
  }
  const json* name = member(*md, "name");
  const json* ns = member(*md, "namespace");
  if (!name || !name->is_string() || name->get<std::string>().empty()) {
    error = "Pod: metadata.name: missing or not a string";
    return std::nullopt;
  }
  if (!ns || !ns->is_string() || !policy::valid_namespace(ns->get<std::string>())) {
    error = "Pod " + name->get<std::string>() + ": metadata.namespace: " +
            (ns ? shown(*ns) + " is not a namespace name" : "missing");
    return std::nullopt;
  }
  return PodKey{ns->get<std::string>(), name->get<std::string>()};
}

PodAddresses pod_addresses(const json& pod) {
  PodAddresses out;
  std::string error;
  const auto key = pod_key(pod, error);
  if (!key) {
    out.errors.push_back(error);
    return out;
  }
  const std::string where = "Pod " + key->ns + "/" + key->name;
  const json* spec = member(pod, "spec");
  const json* host_network = spec ? member(*spec, "hostNetwork") : nullptr;
  if (host_network && host_network->is_boolean() && host_network->get<bool>()) {
    out.skipped = "hostNetwork";  // its addresses are the node's: not a client
    return out;
  }
  const json* status = member(pod, "status");
  const json* phase = status ? member(*status, "phase") : nullptr;
  if (phase && phase->is_string() && (*phase == "Succeeded" || *phase == "Failed")) {
    out.skipped = "phase " + phase->get<std::string>();
    return out;
  }
  const json* ips = status ? member(*status, "podIPs") : nullptr;
  if (ips && !ips->is_null() && !ips->is_array()) {
    out.errors.push_back(where + ": status.podIPs: " + shown(*ips) + " is not a list");
  } else if (ips && ips->is_array() && !ips->empty()) {
    for (std::size_t i = 0; i < ips->size(); ++i) {
      const std::string field = "status.podIPs[" + std::to_string(i) + "].ip";
      add_address(member((*ips)[i], "ip"), field, where, out);
    }
  } else if (const json* ip = status ? member(*status, "podIP") : nullptr; ip && !ip->is_null() && *ip != "") {
    add_address(ip, "status.podIP", where, out);  // servers before podIPs (1.16) set only this
  }
  for (auto& c : out.clients) c.ns = key->ns;
  if (out.clients.empty() && out.errors.empty()) out.skipped = "no IP address yet";
  return out;
}

PodClients pod_clients(const std::map<PodKey, PodAddresses>& pods) {
  PodClients out;
  out.pods = pods.size();
  for (const auto& [key, a] : pods) {
    out.clients.insert(out.clients.end(), a.clients.begin(), a.clients.end());
    out.errors.insert(out.errors.end(), a.errors.begin(), a.errors.end());
  }
  auto overlaps = policy::normalize_clients(out.clients);  // stable: the first pod by namespace/name wins
  out.errors.insert(out.errors.end(), overlaps.begin(), overlaps.end());
  return out;
}

}  // namespace nfegress::kube
