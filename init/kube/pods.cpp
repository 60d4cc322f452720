// init/kube/pods.cpp — layer: input, pure. See pods.hpp.
#include "init/kube/pods.hpp"

#include <algorithm>

namespace nfegress::kube {

std::optional<PodInfo> parse_pod(const nlohmann::json& o) {
  if (!o.is_object() || o.value("kind", "Pod") != "Pod") return std::nullopt;
  const auto md = o.find("metadata");
  if (md == o.end() || !md->is_object()) return std::nullopt;
  PodInfo p;
  p.ns = md->value("namespace", "");
  p.name = md->value("name", "");
  if (p.ns.empty() || p.name.empty()) return std::nullopt;
  if (auto spec = o.find("spec"); spec != o.end() && spec->is_object())
    p.host_network = spec->value("hostNetwork", false);
  if (auto st = o.find("status"); st != o.end() && st->is_object()) {
    const std::string phase = st->value("phase", "");
    p.finished = phase == "Succeeded" || phase == "Failed";
    auto add = [&p](const nlohmann::json& v) {
      if (!v.is_string()) return;
      if (auto a = policy::parse_ip(v.get<std::string>()); a && std::find(p.ips.begin(), p.ips.end(), *a) == p.ips.end())
        p.ips.push_back(*a);
    };
    if (auto ips = st->find("podIPs"); ips != st->end() && ips->is_array()) {
      for (const auto& e : *ips)
        if (e.is_object() && e.contains("ip")) add(e["ip"]);
    } else if (auto ip = st->find("podIP"); ip != st->end()) {
      add(*ip);
    }
  }
  return p;
}

std::string pod_key(const PodInfo& p) { return p.ns + "/" + p.name; }

std::vector<policy::Client> pod_clients(const PodMap& pods, std::vector<std::string>* conflicts) {
  std::map<std::pair<policy::Family, policy::u128>, std::vector<const PodInfo*>> by_ip;
  for (const auto& [key, p] : pods) {
    if (p.host_network || p.finished) continue;
    for (const auto& ip : p.ips) by_ip[{ip.family, ip.value}].push_back(&p);
  }
  std::vector<policy::Client> out;
  for (const auto& [ip, holders] : by_ip) {
    const policy::IpAddr a{ip.first, ip.second};
    if (holders.size() > 1 && conflicts)
      conflicts->push_back(policy::format_ip(a) + " is held by Pod " + pod_key(*holders[0]) + " and Pod " +
                           pod_key(*holders[1]) + ": the first one's namespace applies until one goes");
    const unsigned len = policy::family_bits(a.family);
    out.push_back({policy::IpPrefix{a.family, a.value, static_cast<std::uint8_t>(len)}, holders[0]->ns,
                   "Pod " + pod_key(*holders[0])});
  }
  policy::normalize_clients(out);  // sorted; single addresses never overlap
  return out;
}

}  // namespace nfegress::kube
