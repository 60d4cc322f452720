// tests/fuzz/fuzz_node.cpp — libFuzzer target: bytes as a Node object from the API (JSON) through `--deny-unknown
// node`'s pure conversion (init/kube/node: node_pod_cidrs). Never crashes or throws; ranges come only with the
// field they came from and are distinct; every error names a node.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "init/kube/node.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace nfegress;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto node = nlohmann::json::parse(bytes, nullptr, false);  // no exceptions: discarded on error
  const auto n = kube::node_pod_cidrs(node);
  FUZZ_CHECK(n.cidrs.empty() || n.field == "spec.podCIDRs" || n.field == "spec.podCIDR");
  FUZZ_CHECK(n.field != "spec.podCIDR" || n.cidrs.size() + n.errors.size() == 1);
  for (std::size_t i = 0; i < n.cidrs.size(); ++i) {
    FUZZ_CHECK(n.cidrs[i].len <= policy::family_bits(n.cidrs[i].family));
    FUZZ_CHECK(std::count(n.cidrs.begin(), n.cidrs.end(), n.cidrs[i]) == 1);
  }
  for (const auto& e : n.errors) FUZZ_CHECK(e.rfind("Node", 0) == 0);
  return 0;
}
