// tests/kube/pods_test.cpp — node mode's Pods -> clients (init/kube/pods.hpp), pure: status.podIPs (and podIP),
// host-network and finished pods skipped, two pods on one address.
#include <gtest/gtest.h>

#include "init/kube/pods.hpp"

namespace nfegress::kube {
namespace {

nlohmann::json pod(const char* ns, const char* name, std::vector<const char*> ips, bool hostnet = false,
                   const char* phase = "Running") {
  nlohmann::json j = {{"kind", "Pod"},
                      {"metadata", {{"namespace", ns}, {"name", name}}},
                      {"spec", {{"nodeName", "n1"}, {"hostNetwork", hostnet}}},
                      {"status", {{"phase", phase}, {"podIPs", nlohmann::json::array()}}}};
  for (const char* ip : ips) j["status"]["podIPs"].push_back({{"ip", ip}});
  return j;
}

PodMap pods(std::initializer_list<nlohmann::json> objs) {
  PodMap m;
  for (const auto& o : objs)
    if (auto p = parse_pod(o)) m[pod_key(*p)] = *p;
  return m;
}

TEST(Pods, ParsesAddressesAndFlags) {
  auto p = parse_pod(pod("team-a", "web", {"192.0.2.10", "2001:db8::10", "192.0.2.10"}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->ns, "team-a");
  EXPECT_EQ(p->ips.size(), 2u);  // a repeated address once
  EXPECT_FALSE(p->host_network);
  nlohmann::json old = pod("team-a", "old", {});
  old["status"].erase("podIPs");
  old["status"]["podIP"] = "192.0.2.11";
  ASSERT_TRUE(parse_pod(old));
  EXPECT_EQ(policy::format_ip(parse_pod(old)->ips.at(0)), "192.0.2.11");
  EXPECT_FALSE(parse_pod(nlohmann::json{{"kind", "Pod"}, {"metadata", {{"name", "x"}}}}));  // no namespace
  EXPECT_FALSE(parse_pod(nlohmann::json::array()));
}

TEST(Pods, ClientsSkipHostNetworkFinishedAndAddresslessPods) {
  const auto cs = pod_clients(pods({pod("team-a", "web", {"192.0.2.10", "2001:db8::10"}),
                                    pod("kube-system", "proxy", {"198.51.100.1"}, true),
                                    pod("team-b", "job", {"192.0.2.11"}, false, "Succeeded"),
                                    pod("team-b", "crashed", {"192.0.2.12"}, false, "Failed"),
                                    pod("team-c", "pending", {})}));
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(policy::format_prefix(cs[0].prefix), "192.0.2.10/32");
  EXPECT_EQ(cs[0].ns, "team-a");
  EXPECT_EQ(cs[0].where, "Pod team-a/web");
  EXPECT_EQ(policy::format_prefix(cs[1].prefix), "2001:db8::10/128");
}

TEST(Pods, OneAddressTwoPodsKeepsTheFirstAndSaysSo) {
  std::vector<std::string> conflicts;
  const auto cs = pod_clients(pods({pod("team-b", "new", {"192.0.2.10"}), pod("team-a", "old", {"192.0.2.10"})}),
                              &conflicts);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].ns, "team-a");
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_NE(conflicts[0].find("Pod team-a/old and Pod team-b/new"), std::string::npos) << conflicts[0];
}

}  // namespace
}  // namespace nfegress::kube
