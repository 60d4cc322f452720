// tests/kube/node_cidrs_test.cpp — unit tests of init/kube/node (pure): a Node object -> `--deny-unknown node`'s
// ranges. spec.podCIDRs (dual-stack), the spec.podCIDR fallback, a Node without pod ranges (no ranges, no error:
// the caller refuses to start), malformed objects (an error naming the node and the field, never a crash).
#include <gtest/gtest.h>

#include "init/kube/node.hpp"

namespace {

using namespace nfegress;
using namespace nfegress::kube;
using nlohmann::json;

std::vector<std::string> text(const NodeCidrs& n) {
  std::vector<std::string> out;
  for (const auto& c : n.cidrs) out.push_back(policy::format_prefix(c));
  return out;
}

json node(json spec) {
  return {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "node-1"}}}, {"spec", std::move(spec)}};
}

TEST(NodeCidrs, PodCIDRsDualStack) {
  const auto n = node_pod_cidrs(node({{"podCIDR", "10.244.1.0/24"},
                                      {"podCIDRs", {"10.244.1.0/24", "2001:db8:1::/64"}}}));
  EXPECT_EQ(text(n), (std::vector<std::string>{"10.244.1.0/24", "2001:db8:1::/64"}));
  EXPECT_EQ(n.field, "spec.podCIDRs");
  EXPECT_EQ(n.name, "node-1");
  EXPECT_TRUE(n.errors.empty());
}

TEST(NodeCidrs, PodCIDRWhenTheListIsAbsentOrEmpty) {
  EXPECT_EQ(text(node_pod_cidrs(node({{"podCIDR", "10.244.2.0/24"}}))), (std::vector<std::string>{"10.244.2.0/24"}));
  const auto n = node_pod_cidrs(node({{"podCIDR", "10.244.2.0/24"}, {"podCIDRs", json::array()}}));
  EXPECT_EQ(text(n), (std::vector<std::string>{"10.244.2.0/24"}));
  EXPECT_EQ(n.field, "spec.podCIDR");
}

TEST(NodeCidrs, NoPodRangesIsNoRangesAndNoError) {  // Calico IPAM, some cloud CNIs
  for (const json& spec : {json::object(), json{{"podCIDR", ""}}, json{{"podCIDRs", nullptr}},
                           json{{"providerID", "aws:///x"}}}) {
    const auto n = node_pod_cidrs(node(spec));
    EXPECT_TRUE(n.cidrs.empty()) << spec.dump();
    EXPECT_TRUE(n.errors.empty()) << spec.dump();
    EXPECT_EQ(n.field, "");
  }
  EXPECT_TRUE(node_pod_cidrs(json{{"metadata", {{"name", "n"}}}}).cidrs.empty());  // no spec at all
}

TEST(NodeCidrs, MalformedNamesTheNodeAndTheField) {
  EXPECT_EQ(node_pod_cidrs(node({{"podCIDRs", {"10.0.0.0/24", "10.0.0.0/33"}}})).errors,
            (std::vector<std::string>{"Node node-1: spec.podCIDRs[1]: '10.0.0.0/33' is not a CIDR"}));
  EXPECT_EQ(node_pod_cidrs(node({{"podCIDRs", {7}}})).errors,
            (std::vector<std::string>{"Node node-1: spec.podCIDRs[0]: '7' is not a CIDR"}));
  EXPECT_EQ(node_pod_cidrs(node({{"podCIDRs", "10.0.0.0/24"}})).errors,
            (std::vector<std::string>{"Node node-1: spec.podCIDRs: '10.0.0.0/24' is not a list"}));
  EXPECT_EQ(node_pod_cidrs(node({{"podCIDR", "10.0.0.1"}})).errors,  // an address is not a pod range
            (std::vector<std::string>{"Node node-1: spec.podCIDR: '10.0.0.1' is not a CIDR"}));
  EXPECT_EQ(node_pod_cidrs(json::array()).errors, (std::vector<std::string>{"Node: not an object"}));
  EXPECT_EQ(node_pod_cidrs(json{{"spec", 3}}).errors, (std::vector<std::string>{"Node: spec: '3' is not an object"}));
}

TEST(NodeCidrs, HostBitsClearedAndDuplicatesDropped) {
  EXPECT_EQ(text(node_pod_cidrs(node({{"podCIDRs", {"10.244.1.7/24", "10.244.1.0/24"}}}))),
            (std::vector<std::string>{"10.244.1.0/24"}));
}

TEST(NodeCidrs, PodsOutsideTheRangesAreNamed) {
  std::vector<policy::Client> pods;
  for (const auto& [a, where] : {std::pair{"10.244.1.5/32", "Pod a/in"}, {"10.244.7.9/32", "Pod a/out"},
                                 {"2001:db8:9::1/128", "Pod b/v6"}}) {
    policy::Client c;
    c.prefix = *policy::parse_prefix(a);
    c.ns = "a";
    c.where = where;
    pods.push_back(c);
  }
  const std::vector<policy::IpPrefix> v4{*policy::parse_prefix("10.244.1.0/24")};
  // No IPv6 range: IPv6 addresses are not checked.
  EXPECT_EQ(outside_ranges(pods, v4), (std::vector<std::string>{"10.244.7.9/32 (Pod a/out)"}));
  auto both = v4;
  both.push_back(*policy::parse_prefix("2001:db8:1::/64"));
  EXPECT_EQ(outside_ranges(pods, both),
            (std::vector<std::string>{"10.244.7.9/32 (Pod a/out)", "2001:db8:9::1/128 (Pod b/v6)"}));
  EXPECT_TRUE(outside_ranges(pods, {}).empty());
}

}  // namespace
