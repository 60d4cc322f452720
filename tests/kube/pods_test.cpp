// tests/kube/pods_test.cpp — unit tests of init/kube/pods (pure): Pod JSON -> the node's client
// list. IPv4 and IPv6 addresses, the pods that do not count (hostNetwork, finished, no address yet), the podIP
// fallback, malformed objects (an error naming the pod and the field, never a crash), overlaps between pods.
#include <gtest/gtest.h>

#include "init/kube/pods.hpp"

namespace {

using namespace nfegress;
using namespace nfegress::kube;
using nlohmann::json;

json pod(const std::string& ns, const std::string& name, json ips, const std::string& phase = "Running") {
  json p = {{"apiVersion", "v1"}, {"kind", "Pod"},
            {"metadata", {{"namespace", ns}, {"name", name}}},
            {"spec", {{"nodeName", "node-1"}}},
            {"status", {{"phase", phase}}}};
  if (!ips.is_null()) {
    json list = json::array();
    for (const auto& ip : ips) list.push_back({{"ip", ip}});
    p["status"]["podIPs"] = list;
    p["status"]["podIP"] = ips.empty() ? json("") : ips[0];
  }
  return p;
}

std::vector<std::string> text(const std::vector<policy::Client>& clients) {
  std::vector<std::string> out;
  for (const auto& c : clients) out.push_back(policy::format_prefix(c.prefix) + "=" + c.ns + " (" + c.where + ")");
  return out;
}

TEST(PodClients, EveryAddressIPv4AndIPv6) {
  const auto a = pod_addresses(pod("team-a", "web-1", {"192.0.2.10", "2001:db8::a"}));
  EXPECT_EQ(text(a.clients), (std::vector<std::string>{"192.0.2.10/32=team-a (Pod team-a/web-1)",
                                                       "2001:db8::a/128=team-a (Pod team-a/web-1)"}));
  EXPECT_TRUE(a.errors.empty());
  EXPECT_EQ(a.skipped, "");
}

TEST(PodClients, PendingWithAnAddressCounts) {  // init containers run in phase Pending and may call out
  EXPECT_EQ(pod_addresses(pod("a", "p", {"192.0.2.11"}, "Pending")).clients.size(), 1u);
}

TEST(PodClients, PodsThatDoNotCount) {
  auto host = pod("kube-system", "proxy", {"198.51.100.7"});
  host["spec"]["hostNetwork"] = true;
  EXPECT_EQ(pod_addresses(host).skipped, "hostNetwork");
  EXPECT_TRUE(pod_addresses(host).clients.empty());
  EXPECT_EQ(pod_addresses(pod("a", "job", {"192.0.2.12"}, "Succeeded")).skipped, "phase Succeeded");
  EXPECT_EQ(pod_addresses(pod("a", "crash", {"192.0.2.13"}, "Failed")).skipped, "phase Failed");
  const auto none = pod_addresses(pod("a", "new", nullptr, "Pending"));
  EXPECT_EQ(none.skipped, "no IP address yet");
  EXPECT_TRUE(none.clients.empty());
  EXPECT_TRUE(none.errors.empty());
  EXPECT_EQ(pod_addresses(pod("a", "empty", json::array(), "Pending")).skipped, "no IP address yet");
}

TEST(PodClients, PodIPWhenPodIPsIsAbsent) {
  auto p = pod("a", "old", nullptr);
  p["status"]["podIP"] = "192.0.2.14";
  EXPECT_EQ(text(pod_addresses(p).clients), (std::vector<std::string>{"192.0.2.14/32=a (Pod a/old)"}));
}

TEST(PodClients, MalformedObjectsNameThePodAndTheField) {
  std::string e;
  EXPECT_FALSE(pod_key(json(42), e));
  EXPECT_EQ(e, "Pod: not an object");
  EXPECT_FALSE(pod_key(json{{"metadata", {{"namespace", "a"}}}}, e));
  EXPECT_EQ(e, "Pod: metadata.name: missing or not a string");
  EXPECT_FALSE(pod_key(json{{"metadata", "x"}}, e));
  EXPECT_EQ(e, "Pod: metadata: missing or not an object");
  EXPECT_FALSE(pod_key(json{{"metadata", {{"name", "p"}, {"namespace", "Not_A_Namespace"}}}}, e));
  EXPECT_EQ(e, "Pod p: metadata.namespace: 'Not_A_Namespace' is not a namespace name");
  EXPECT_EQ(pod_addresses(json{{"metadata", {{"name", "p"}}}}).errors,
            (std::vector<std::string>{"Pod p: metadata.namespace: missing"}));

  const auto bad = pod_addresses(pod("a", "p", {"192.0.2.15", "192.0.2.300", 7, "192.0.2.0/24"}));
  EXPECT_EQ(text(bad.clients), (std::vector<std::string>{"192.0.2.15/32=a (Pod a/p)"}));  // the good one stays
  EXPECT_EQ(bad.errors, (std::vector<std::string>{
                            "Pod a/p: status.podIPs[1].ip: '192.0.2.300' is not an IP address",
                            "Pod a/p: status.podIPs[2].ip: '7' is not a string",
                            "Pod a/p: status.podIPs[3].ip: '192.0.2.0/24' is not an IP address"}));
  auto odd = pod("a", "q", nullptr);
  odd["status"]["podIPs"] = "192.0.2.16";
  EXPECT_EQ(pod_addresses(odd).errors, (std::vector<std::string>{"Pod a/q: status.podIPs: '192.0.2.16' is not a list"}));
  odd["status"]["podIPs"] = json::array({json::array(), {{"address", "192.0.2.17"}}});
  EXPECT_EQ(pod_addresses(odd).errors, (std::vector<std::string>{"Pod a/q: status.podIPs[0].ip: missing",
                                                                  "Pod a/q: status.podIPs[1].ip: missing"}));
  for (const json& j : {json{{"metadata", {{"name", "r"}, {"namespace", "a"}}}, {"spec", 1}, {"status", "x"}},
                        json{{"metadata", {{"name", "r"}, {"namespace", "a"}}}, {"status", {{"phase", 3}}}}}) {
    const auto r = pod_addresses(j);  // odd types where objects belong: no address, no crash
    EXPECT_TRUE(r.clients.empty());
    EXPECT_EQ(r.skipped, "no IP address yet");
  }
}

TEST(PodClients, NodeListIsSortedAndOverlapsKeepTheFirstPod) {
  std::map<PodKey, PodAddresses> pods;
  for (const auto& p : {pod("b", "x", {"192.0.2.20", "2001:db8::20"}), pod("a", "y", {"192.0.2.21"}),
                        pod("c", "z", {"192.0.2.20"}), pod("a", "gone", {"192.0.2.22"}, "Failed")}) {
    std::string e;
    pods[*pod_key(p, e)] = pod_addresses(p);
  }
  const auto n = pod_clients(pods);
  EXPECT_EQ(n.pods, 4u);
  EXPECT_EQ(text(n.clients), (std::vector<std::string>{"192.0.2.20/32=b (Pod b/x)", "192.0.2.21/32=a (Pod a/y)",
                                                       "2001:db8::20/128=b (Pod b/x)"}));
  EXPECT_EQ(n.errors, (std::vector<std::string>{"Pod c/z: 192.0.2.20/32=c overlaps 192.0.2.20/32=b (Pod b/x)"}));
  EXPECT_EQ(policy::find_client(n.clients, *policy::parse_ip("192.0.2.21"))->ns, "a");
}

}  // namespace
