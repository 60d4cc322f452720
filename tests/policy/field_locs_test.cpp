// tests/policy/field_locs_test.cpp — FieldLocs, the per-resource "field path -> line/column" index: lookups after
// many insertions (rehashing), overwrite semantics, absent paths, and the loader's use of it for diagnostics.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "policy/field_locs.hpp"
#include "load_test_util.hpp"
#include "policy/load.hpp"

namespace nfegress::policy {
namespace {

TEST(FieldLocs, FindsEveryPathAfterManyInsertions) {
  FieldLocs f;
  EXPECT_EQ(f.find("spec"), nullptr);
  EXPECT_EQ(f.count("spec"), 0u);
  for (int i = 0; i < 50000; ++i) {
    const std::string n = "spec.networks[" + std::to_string(i) + "]";
    f.set(n, i + 1, 3);
    f.set(n + ".cidr", i + 1, 11);
  }
  EXPECT_EQ(f.size(), 100000u);
  for (int i = 0; i < 50000; i += 997) {
    const std::string n = "spec.networks[" + std::to_string(i) + "]";
    ASSERT_NE(f.find(n), nullptr) << n;
    EXPECT_EQ(f.at(n).line, i + 1);
    EXPECT_EQ(f.at(n).column, 3);
    EXPECT_EQ(f.at(n + ".cidr").column, 11);
  }
  EXPECT_EQ(f.find("spec.networks[50000]"), nullptr);
  EXPECT_EQ(f.find("spec.networks"), nullptr);  // a prefix of a recorded path is not recorded
  EXPECT_THROW((void)f.at("spec.networks[50000]"), std::out_of_range);
}

TEST(FieldLocs, SettingAPathAgainOverwritesIt) {
  FieldLocs f;
  f.set("metadata.name", 3, 9);
  f.set("metadata.name", 4, 1);
  EXPECT_EQ(f.size(), 1u);
  EXPECT_EQ(f.at("metadata.name").line, 4);
  EXPECT_EQ(f.at("metadata.name").column, 1);
  f.set("", 7, 7);  // the empty path is a path like any other
  EXPECT_EQ(f.at("").line, 7);
}

TEST(FieldLocs, DiagnosticsOfALargeEgressNetworkPointAtTheirLines) {
  std::string y =
      "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {name: big, namespace: ns}\n"
      "spec:\n  trafficPolicy: Allow\n  networks:\n";
  for (int i = 0; i < 3000; ++i) y += "  - cidr: 2001:db8:" + std::to_string(i) + "::/64\n";
  y += "  - cidr: not-a-cidr\n";  // line 7 + 3000
  const auto r = testing::load_and_validate(y);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].loc.file, "t.yaml");
  EXPECT_EQ(r.diagnostics[0].loc.line, 3007);
  EXPECT_EQ(r.diagnostics[0].loc.column, 11);
  EXPECT_EQ(r.diagnostics[0].field, "spec.networks[3000].cidr");
}

}  // namespace
}  // namespace nfegress::policy
