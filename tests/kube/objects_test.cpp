// tests/kube/objects_test.cpp — unit tests of init/kube/objects (pure): the cluster-wide scope node mode lists and
// watches (one per kind: its path, its description), objects kept under their own namespace, a relist of a
// cluster-wide scope replacing the type in every namespace (and no other type), and a set from several namespaces
// loaded into one LoadResult whose errors name the object.
#include <gtest/gtest.h>

#include "init/kube/objects.hpp"

namespace {

using namespace nfegress;
using namespace nfegress::kube;
using nlohmann::json;

json en(const std::string& ns, const std::string& name, const std::string& cidr = "203.0.113.0/24") {
  return {{"apiVersion", "policy.linkerd.io/v1alpha1"}, {"kind", "EgressNetwork"},
          {"metadata", {{"namespace", ns}, {"name", name}}},
          {"spec", {{"trafficPolicy", "Deny"}, {"networks", {{{"cidr", cidr}}}}}}};
}

std::size_t type_of(const std::string& kind) {
  const auto& types = resource_types();
  for (std::size_t i = 0; i < types.size(); ++i)
    if (types[i].kind == kind) return i;
  return types.size();
}

TEST(KubeScope, ClusterWidePathAndDescription) {
  const Scope all{type_of("EgressNetwork"), "v1alpha1", ""};
  EXPECT_EQ(all.path(), "/apis/policy.linkerd.io/v1alpha1/egressnetworks");
  EXPECT_EQ(all.describe(), "EgressNetwork.policy.linkerd.io/v1alpha1 in all namespaces");
  const Scope one{type_of("EgressNetwork"), "v1alpha1", "team-a"};
  EXPECT_EQ(one.path(), "/apis/policy.linkerd.io/v1alpha1/namespaces/team-a/egressnetworks");
  EXPECT_TRUE(all.holds("team-a") && all.holds("team-b"));
  EXPECT_TRUE(one.holds("team-a"));
  EXPECT_FALSE(one.holds("team-b"));
}

TEST(KubeScope, ClusterWideObjectsKeepTheirNamespace) {
  const Scope all{type_of("EgressNetwork"), "v1alpha1", ""};
  ObjectMap objects;
  ASSERT_TRUE(put_object(objects, all, en("team-a", "x")));
  ASSERT_TRUE(put_object(objects, all, en("team-b", "x")));
  EXPECT_EQ(objects.size(), 2u);
  EXPECT_EQ(key_of(all, en("team-b", "x")).ns, "team-b");
}

TEST(KubeScope, ClusterWideRelistReplacesEveryNamespaceOfItsTypeOnly) {
  const Scope all{type_of("EgressNetwork"), "v1alpha1", ""};
  const Scope tcp{type_of("TCPRoute"), "v1alpha2", ""};
  ObjectMap objects;
  put_object(objects, all, en("team-a", "gone"));
  put_object(objects, all, en("team-b", "kept"));
  json route = {{"metadata", {{"namespace", "team-a"}, {"name", "r"}}}, {"spec", json::object()}};
  put_object(objects, tcp, route);
  ObjectMap fresh;
  put_object(fresh, all, en("team-b", "kept"));
  put_object(fresh, all, en("team-c", "new"));
  EXPECT_TRUE(replace_scope(objects, all, fresh));
  std::vector<std::string> names;
  for (const auto& [k, v] : objects) names.push_back(resource_types()[k.type].kind + " " + k.ns + "/" + k.name);
  EXPECT_EQ(names, (std::vector<std::string>{"EgressNetwork team-b/kept", "EgressNetwork team-c/new",
                                             "TCPRoute team-a/r"}));
  EXPECT_FALSE(replace_scope(objects, all, fresh)) << "the same list again changes nothing";
}

TEST(KubeScope, SeveralNamespacesLoadTogetherAndErrorsNameTheObject) {
  const Scope all{type_of("EgressNetwork"), "v1alpha1", ""};
  ObjectMap objects;
  put_object(objects, all, en("linkerd-egress", "internet"));
  put_object(objects, all, en("team-a", "partners"));
  auto r = to_load_result(objects, {});
  EXPECT_FALSE(policy::has_errors(r.diagnostics));
  ASSERT_EQ(r.resources.networks.size(), 2u);
  EXPECT_EQ(r.resources.networks[1].meta.ns, "team-a");
  put_object(objects, all, en("team-c", "bad", "203.0.113.0/33"));
  r = to_load_result(objects, {});
  ASSERT_TRUE(policy::has_errors(r.diagnostics));
  bool named = false;
  for (const auto& d : r.diagnostics)
    if (d.severity == policy::Severity::Error && d.format().rfind("kube:team-c/EgressNetwork/bad:", 0) == 0)
      named = true;
  EXPECT_TRUE(named) << r.diagnostics.front().format();
}

}  // namespace
