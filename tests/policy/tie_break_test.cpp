// tests/policy/tie_break_test.cpp — which EgressNetwork owns an address when candidates tie on size
// (docs/policy-reference.md, "Which client sees which EgressNetwork"): older creationTimestamp (missing = oldest,
// two missing are equal), then namespace, then name, as Linkerd's compare_matched_egress_network. The same
// manifests are read in both orders from files and once through the Kubernetes API source (init/kube), and
// every reading must pick the same EgressNetwork; `explain` must name the rule that decided.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policy/compile.hpp"
#include "policy/explain.hpp"
#include "init/kube/objects.hpp"
#include "policy/load.hpp"

namespace nfegress::policy {
namespace {

// An EgressNetwork in linkerd-egress; `created` "" = no creationTimestamp.
struct En {
  std::string name;
  std::string policy;
  std::string created;
  std::string cidr = "192.0.2.0/24";
};

std::string yaml(const En& e) {
  std::string md = "{name: " + e.name + ", namespace: linkerd-egress";
  if (!e.created.empty()) md += ", creationTimestamp: \"" + e.created + "\"";
  return "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: " + md +
         "}\nspec:\n  trafficPolicy: " + e.policy + "\n  networks: [{cidr: " + e.cidr + "}]\n";
}

// The object as the API server returns it in a list.
nlohmann::json api_object(const En& e) {
  nlohmann::json o = {{"apiVersion", "policy.linkerd.io/v1alpha1"},
                      {"kind", "EgressNetwork"},
                      {"metadata", {{"name", e.name}, {"namespace", "linkerd-egress"}}},
                      {"spec", {{"trafficPolicy", e.policy}, {"networks", {{{"cidr", e.cidr}}}}}}};
  if (!e.created.empty()) o["metadata"]["creationTimestamp"] = e.created;
  return o;
}

struct Outcome {
  std::string network;  // ns/name that owns 192.0.2.10
  std::string text;     // explain's text for 192.0.2.10:443
};

Outcome decide(const ResourceSet& rs) {
  const auto dst = parse_destination("192.0.2.10:443");
  const Explanation e = explain(rs, "app", CompileOptions{}, ExplainQuery{dst->first, dst->second, Proto::Tcp, {}});
  return {e.network ? *e.network : "", explanation_text(e)};
}

Outcome from_file(const std::vector<En>& ens) {
  std::string docs;
  for (const auto& e : ens) docs += "---\n" + yaml(e);
  const LoadResult r = load_buffer("t.yaml", docs);
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.front().format();
  return decide(r.resources);
}

Outcome from_kube(const std::vector<En>& ens) {
  kube::ObjectMap objects;
  const kube::Scope scope{0, "v1alpha1", "linkerd-egress"};  // resource_types()[0] is EgressNetwork
  for (const auto& e : ens) EXPECT_TRUE(kube::put_object(objects, scope, api_object(e)));
  const LoadResult r = kube::to_load_result(objects, LoadOptions{});
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.front().format();
  return decide(r.resources);
}

// Every reading (files in the given order and reversed, the API source) picks `want`, and explain's text says
// why with `rule`.
void expect_everywhere(std::vector<En> docs, const std::string& want, const std::string& rule) {
  for (int pass = 0; pass < 2; ++pass) {
    const Outcome f = from_file(docs);
    EXPECT_EQ(f.network, want) << "files, order " << pass << "\n" << f.text;
    EXPECT_NE(f.text.find(rule), std::string::npos) << f.text;
    std::reverse(docs.begin(), docs.end());
  }
  const Outcome k = from_kube(docs);
  EXPECT_EQ(k.network, want) << "Kubernetes API\n" << k.text;
  EXPECT_NE(k.text.find(rule), std::string::npos) << k.text;
}

TEST(TieBreak, NoTimestampsNameDecidesNotInputOrder) {
  expect_everywhere({En{"zeta", "Allow", ""}, En{"alpha", "Deny", ""}}, "linkerd-egress/alpha",
                    "winner linkerd-egress/alpha over linkerd-egress/zeta: same size, neither has a "
                    "creationTimestamp; name first alphabetically");
}

TEST(TieBreak, EqualTimestampsNameDecidesNotInputOrder) {
  expect_everywhere({En{"zeta", "Allow", "2024-05-01T10:00:00Z"}, En{"alpha", "Deny", "2024-05-01T10:00:00Z"}},
                    "linkerd-egress/alpha",
                    "winner linkerd-egress/alpha over linkerd-egress/zeta: same size and creationTimestamp; name "
                    "first alphabetically");
}

TEST(TieBreak, OlderTimestampBeatsName) {
  expect_everywhere({En{"zeta", "Allow", "2024-05-01T10:00:00Z"}, En{"alpha", "Deny", "2024-05-01T10:00:01Z"}},
                    "linkerd-egress/zeta",
                    "winner linkerd-egress/zeta over linkerd-egress/alpha: same size; older creationTimestamp");
}

TEST(TieBreak, MissingTimestampCountsAsOldest) {
  expect_everywhere({En{"alpha", "Deny", "2024-05-01T10:00:00Z"}, En{"zeta", "Allow", ""}},
                    "linkerd-egress/zeta",
                    "winner linkerd-egress/zeta over linkerd-egress/alpha: same size; no creationTimestamp "
                    "(counts as oldest)");
}

TEST(TieBreak, SmallerNetworkBeatsAge) {
  expect_everywhere({En{"a", "Deny", ""}, En{"b", "Allow", "2024-05-01T10:00:00Z", "192.0.2.0/25"}},
                    "linkerd-egress/b", "winner linkerd-egress/b over linkerd-egress/a: smaller network");
}

// The compiled partition (what the kernel gets) agrees with explain, in both orders and for every address of the
// tied network.
TEST(TieBreak, PartitionOwnerIndependentOfOrder) {
  std::vector<En> ens = {En{"zeta", "Allow", ""}, En{"mid", "Allow", ""}, En{"alpha", "Deny", ""}};
  for (int pass = 0; pass < 2; ++pass) {
    std::string docs;
    for (const auto& e : ens) docs += "---\n" + yaml(e);
    const LoadResult r = load_buffer("t.yaml", docs);
    const Plan p = compile(r.resources, "app");
    for (const char* a : {"192.0.2.0", "192.0.2.128", "192.0.2.255"}) {
      const auto owner = p.network_for(*parse_ip(a));
      ASSERT_TRUE(owner) << a;
      EXPECT_EQ(p.networks[*owner].name, "alpha") << a << " order " << pass;
    }
    std::reverse(ens.begin(), ens.end());
  }
}

}  // namespace
}  // namespace nfegress::policy
