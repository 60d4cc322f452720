// policy/plan.cpp — layer: pure model. Lookups on a compiled Plan (binary searches, no allocation).
// Must not: decide policy (compile.cpp does), touch the kernel.
#include "policy/plan.hpp"

#include <algorithm>

namespace nfegress::policy {

std::vector<IpPrefix> default_cluster_networks() {
  std::vector<IpPrefix> out;
  for (const char* c : {"10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"})
    out.push_back(*parse_prefix(c));
  return out;
}

const char* name_binding_name(KernelOptions::NameBinding b) {
  switch (b) {
    case KernelOptions::NameBinding::Off: return "off";
    case KernelOptions::NameBinding::Strict: return "strict";
    case KernelOptions::NameBinding::Resolve: break;
  }
  return "resolve";
}

const PortPolicy* CompiledNetwork::port(std::uint16_t p) const {
  auto it = std::lower_bound(ports.begin(), ports.end(), p,
                             [](const PortPolicy& a, std::uint16_t v) { return a.port < v; });
  if (it == ports.end() || it->port != p) return nullptr;
  return &*it;
}

std::optional<std::uint32_t> Plan::network_for(const IpAddr& a) const {
  const auto& ranges = a.family == Family::V4 ? v4 : v6;
  // First range whose lo is greater than the address; the one before it is the only candidate.
  auto it = std::upper_bound(ranges.begin(), ranges.end(), a.value,
                             [](u128 v, const AddrRange& r) { return v < r.lo; });
  if (it == ranges.begin()) return std::nullopt;
  --it;
  if (a.value > it->hi) return std::nullopt;
  return it->network;
}

}  // namespace nfegress::policy
