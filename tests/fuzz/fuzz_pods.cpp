// tests/fuzz/fuzz_pods.cpp — libFuzzer target: bytes as a Pod object from the API (JSON) through node mode's pure
// conversion (init/kube/pods: pod_key, pod_addresses, pod_clients). Never crashes or throws; every client is one
// address (/32 or /128) of a valid namespace with `where` naming the pod; errors name a pod; the node list of the
// pod twice (two names) is disjoint and keeps only the first pod's addresses.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "init/kube/pods.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nfegress;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto pod = nlohmann::json::parse(bytes, nullptr, false);  // no exceptions: discarded on error
  std::string error;
  const auto key = kube::pod_key(pod, error);
  FUZZ_CHECK(key.has_value() == error.empty());
  const auto a = kube::pod_addresses(pod);
  FUZZ_CHECK(!key ? a.clients.empty() && a.errors.size() == 1 && a.errors[0] == error : true);
  FUZZ_CHECK(a.clients.empty() || a.skipped.empty());
  for (const auto& c : a.clients) {
    FUZZ_CHECK(c.prefix.len == policy::family_bits(c.prefix.family));
    FUZZ_CHECK(key && c.ns == key->ns && policy::valid_namespace(c.ns));
    FUZZ_CHECK(c.where == "Pod " + key->ns + "/" + key->name);
  }
  for (const auto& e : a.errors) FUZZ_CHECK(e.rfind("Pod", 0) == 0);
  if (!key) return 0;
  std::map<kube::PodKey, kube::PodAddresses> pods{{*key, a}, {{key->ns, key->name + "-copy"}, a}};
  const auto list = kube::pod_clients(pods);
  for (std::size_t i = 1; i < list.clients.size(); ++i)
    FUZZ_CHECK(!list.clients[i - 1].prefix.intersects(list.clients[i].prefix));
  for (const auto& c : list.clients) FUZZ_CHECK(c.where == "Pod " + key->ns + "/" + key->name);
  return 0;
}
