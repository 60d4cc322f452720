// tests/policy/load_limits_test.cpp — hostile input: alias bombs, recursion, deep nesting, invalid UTF-8, huge
// numbers, NUL bytes. Each must end in a located error (or a clean load), never a crash or a hang.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "load_test_util.hpp"
#include "policy/load.hpp"
#include "policy/yaml_tree.hpp"

namespace nfegress::policy {
namespace {

using ::testing::HasSubstr;
using testing::formatted;

std::string alias_bomb(int levels) {
  std::string s = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < levels; ++i) {
    s += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) s += std::string(k ? ", " : "") + "*a" + std::to_string(i - 1);
    s += "]\n";
  }
  return s;
}

TEST(LoadLimits, AliasBombIsRejectedNotExpanded) {
  // 10^9 nodes if expanded; the tree shares them and the expanded-size bound rejects the document.
  const auto r = load_buffer("bomb.yaml", alias_bomb(9));
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_THAT(r.diagnostics[0].format(), HasSubstr("document too large (aliases expand to too many nodes)"));
  EXPECT_EQ(r.diagnostics[0].loc.line, 7);  // where the bound was crossed (10^7 > 4e6)
}

TEST(LoadLimits, AliasBombInsideAResourceField) {
  std::string s = "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {name: b}\nspec:\n"
                  "  trafficPolicy: Deny\n  x0: &n0 {cidr: 1.2.3.4}\n";
  for (int i = 1; i < 12; ++i) {
    s += "  x" + std::to_string(i) + ": &n" + std::to_string(i) + " [";
    for (int k = 0; k < 8; ++k) s += std::string(k ? ", " : "") + "*n" + std::to_string(i - 1);
    s += "]\n";
  }
  s += "  networks: *n11\n";
  const auto r = load_buffer("t.yaml", s);
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_THAT(r.diagnostics.back().message, HasSubstr("document too large"));
}

TEST(LoadLimits, UnknownAliasIsAnError) {
  const auto r = load_buffer("t.yaml", "a: *nope\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("nope"));
}

TEST(LoadLimits, RecursiveAliasIsAnErrorNotACycle) {
  const auto r = load_buffer("t.yaml", "a: &x [1, *x]\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].format(), "t.yaml:1: syntax error at column 11: unknown or recursive alias '*x'");
}

TEST(LoadLimits, DeepNestingIsBounded) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto r = load_buffer("deep.yaml", deep);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].format(), "deep.yaml:1: syntax error at column 65: nesting deeper than 64 levels");
  std::string maps;
  for (int i = 0; i < 200; ++i) maps += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
  EXPECT_THAT(load_buffer("m.yaml", maps).diagnostics.at(0).message, HasSubstr("nesting deeper than 64 levels"));
}

TEST(LoadLimits, InvalidUtf8IsALocatedSyntaxError) {
  const auto r = load_buffer("u.yaml", "apiVersion: v1\nkind: \xff\xfe\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].loc.line, 2);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("UTF-8"));
}

TEST(LoadLimits, NulBytesAreRejected) {
  const auto r = load_buffer("n.yaml", std::string("kind: a\0b\n", 10));
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("syntax error"));
}

TEST(LoadLimits, HugeNumbersAreInvalidPortsNotOverflows) {
  const auto r = load_buffer("t.yaml", R"(apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: t}
spec:
  parentRefs:
  - {group: policy.linkerd.io, kind: EgressNetwork, name: e, port: 99999999999999999999999999999999}
  - {group: policy.linkerd.io, kind: EgressNetwork, name: e, port: 1e3}
  - {group: policy.linkerd.io, kind: EgressNetwork, name: e, port: 0x1bb}
  rules: [{}]
)");
  EXPECT_THAT(formatted(r.diagnostics),
              ::testing::ElementsAre(
                  "t.yaml:6: TCPRoute default/t: spec.parentRefs[0].port: invalid port "
                  "99999999999999999999999999999999: must be between 1 and 65535",
                  "t.yaml:7: TCPRoute default/t: spec.parentRefs[1].port: expected an integer, got a number"));
  EXPECT_EQ(r.resources.routes.at(0).parents.at(2).port, 443);
}

TEST(LoadLimits, EmptyInputWithNullPointer) {
  // libyaml asserts on a null input pointer; an empty string_view may carry one.
  const auto r = load_buffer("e.yaml", std::string_view{});
  EXPECT_TRUE(r.diagnostics.empty());
  EXPECT_TRUE(r.resources.networks.empty());
}

TEST(LoadLimits, ComplexKeysAreRejected) {
  const auto r = load_buffer("t.yaml", "? [a, b]\n: c\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("mapping keys must be plain strings"));
}

TEST(LoadLimits, ScalarResolution) {
  auto tag = [](const std::string& v, bool quoted = false) {
    yaml::Node n;
    n.value = v;
    n.quoted = quoted;
    return yaml::resolve(n);
  };
  EXPECT_EQ(tag("443"), yaml::ScalarTag::Int);
  EXPECT_EQ(tag("443", true), yaml::ScalarTag::String);
  EXPECT_EQ(tag("-1"), yaml::ScalarTag::Int);
  EXPECT_EQ(tag("0x1F"), yaml::ScalarTag::Int);
  EXPECT_EQ(tag("1.5"), yaml::ScalarTag::Float);
  EXPECT_EQ(tag("1e3"), yaml::ScalarTag::Float);
  EXPECT_EQ(tag(".inf"), yaml::ScalarTag::Float);
  EXPECT_EQ(tag("10.0.0.1"), yaml::ScalarTag::String);
  EXPECT_EQ(tag("true"), yaml::ScalarTag::Bool);
  EXPECT_EQ(tag("~"), yaml::ScalarTag::Null);
  EXPECT_EQ(tag(""), yaml::ScalarTag::Null);
  EXPECT_EQ(tag("Deny"), yaml::ScalarTag::String);
}

}  // namespace
}  // namespace nfegress::policy
