// tests/policy/check_cli_test.cpp — runs the built `nfegress check` binary: exit codes (0 valid, 1 invalid,
// 2 usage), the text diagnostics on stderr, the JSON report shape, stdin and directories.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_runner.hpp"

namespace {

using namespace nfegress::testing;
using ::testing::HasSubstr;
using Result = CliResult;

class CheckCli : public CliTest {
 protected:
  CheckCli() : CliTest("check") {}
};

const std::string kInvalid = R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: bad, namespace: app}
spec:
  trafficPolicy: Deny
  networks:
  - cidr: 10.0.0.0/8
    except: [11.0.0.0/8]
)";

TEST_F(CheckCli, LinkerdDocsExampleIsValid) {
  const auto r = run("'" + kSrc + "/deploy/examples/linkerd-docs-egress.yaml'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, HasSubstr("valid: 1 EgressNetwork(s), 1 route(s) in 1 file(s); 0 error(s), 0 warning(s)"));
}

TEST_F(CheckCli, InvalidManifestExitsOneWithTextDiagnostics) {
  const auto f = write("bad.yaml", kInvalid);
  const auto r = run("'" + f + "'");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, f + ":7: warning: EgressNetwork app/bad: spec.networks[0].cidr: networks overlap with "
                       "clusterNetworks: '10.0.0.0/8' intersects cluster network '10.0.0.0/8'; not Accepted "
                       "(EgressReasonNetworkOverlap), but traffic to it is still captured, as upstream does\n" +
                       f + ":8: EgressNetwork app/bad: spec.networks[0].except[0]: cidr '10.0.0.0/8' does not include "
                       "exception '11.0.0.0/8'\n");
}

TEST_F(CheckCli, WarningsAloneExitZero) {
  const auto f = write("w.yaml", "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {name: w}\n"
                                 "spec: {trafficPolicy: Allow, networks: [{cidr: 10.1.0.0/16}]}\n");
  const auto r = run("'" + f + "'");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("warning: EgressNetwork default/w"));
}

TEST_F(CheckCli, UsageErrorsExitTwo) {
  EXPECT_EQ(run("").code, 2);
  EXPECT_EQ(run("--no-such-option x.yaml").code, 2);
  EXPECT_EQ(run("--output yaml x.yaml").code, 2);
  EXPECT_EQ(run("--cluster-networks 10.0.0.0/99 x.yaml").code, 2);
  EXPECT_EQ(run("--help").code, 0);
}

TEST_F(CheckCli, MissingFileIsInvalid) {
  const auto r = run("'" + (dir_ / "nope.yaml").string() + "'");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("nope.yaml: no such file or directory"));
}

TEST_F(CheckCli, JsonReportShape) {
  const auto f = write("bad.yaml", kInvalid + "---\n" + R"(apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: t, namespace: app}
spec:
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: bad, port: 443}]
  rules: [{backendRefs: [{group: x.io, kind: Y, name: z}]}]
---
apiVersion: v1
kind: Service
metadata: {name: s}
)");
  const auto r = run("--output json '" + f + "'");
  EXPECT_EQ(r.code, 1);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], false);
  ASSERT_EQ(j["resources"].size(), 2u);
  const auto& en = j["resources"][0];
  EXPECT_EQ(en["kind"], "EgressNetwork");
  EXPECT_EQ(en["namespace"], "app");
  EXPECT_EQ(en["name"], "bad");
  EXPECT_EQ(en["file"], f);
  EXPECT_EQ(en["line"], 1);
  ASSERT_EQ(en["conditions"].size(), 1u);
  EXPECT_EQ(en["conditions"][0]["type"], "Accepted");
  EXPECT_EQ(en["conditions"][0]["status"], "False");
  EXPECT_EQ(en["conditions"][0]["reason"], "Invalid");
  ASSERT_EQ(en["errors"].size(), 1u);
  EXPECT_EQ(en["errors"][0]["field"], "spec.networks[0].except[0]");
  EXPECT_EQ(en["errors"][0]["line"], 8);
  EXPECT_EQ(en["errors"][0]["message"], "cidr '10.0.0.0/8' does not include exception '11.0.0.0/8'");
  ASSERT_EQ(en["warnings"].size(), 1u);
  EXPECT_EQ(en["warnings"][0]["reason"], "EgressReasonNetworkOverlap");
  const auto& rt = j["resources"][1];
  EXPECT_EQ(rt["kind"], "TLSRoute");
  ASSERT_EQ(rt["conditions"].size(), 2u);
  EXPECT_EQ(rt["conditions"][0]["type"], "Accepted");
  EXPECT_EQ(rt["conditions"][0]["status"], "True");
  EXPECT_EQ(rt["conditions"][0]["reason"], "Accepted");
  EXPECT_EQ(rt["conditions"][1]["type"], "ResolvedRefs");
  EXPECT_EQ(rt["conditions"][1]["status"], "False");
  EXPECT_EQ(rt["conditions"][1]["reason"], "InvalidKind");
  EXPECT_EQ(rt["errors"].size(), 0u);
  EXPECT_EQ(j["skipped"].size(), 1u);
  EXPECT_EQ(j["errors"].size(), 0u);
}

TEST_F(CheckCli, JsonValidExampleAndConflictCondition) {
  const auto r = run("-o json '" + kSrc + "/deploy/examples/linkerd-docs-egress.yaml'");
  EXPECT_EQ(r.code, 0);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], true);
  for (const auto& res : j["resources"])
    for (const auto& c : res["conditions"]) EXPECT_EQ(c["status"], "True") << res["name"];
}

TEST_F(CheckCli, StdinAndDirectoriesAndVerbose) {
  const auto r = run("-", kInvalid);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("-:8: EgressNetwork app/bad: spec.networks[0].except[0]"));
  write("d/a/x.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
  write("d/b.json", R"({"apiVersion":"policy.linkerd.io/v1alpha1","kind":"EgressNetwork","metadata":{"name":"j"},
"spec":{"trafficPolicy":"Deny"}})");
  const auto d = run("--verbose '" + (dir_ / "d").string() + "'");
  EXPECT_EQ(d.code, 0) << d.err;
  EXPECT_THAT(d.err, HasSubstr("x.yaml:1: ConfigMap v1 c: skipped"));
  EXPECT_THAT(d.out, HasSubstr("1 EgressNetwork(s), 0 route(s) in 2 file(s)"));
}

TEST_F(CheckCli, DefaultAndGlobalNamespaceAndClusterNetworks) {
  const auto f = write("n.yaml", "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {name: a}\n"
                                 "spec: {trafficPolicy: Deny, networks: [{cidr: 203.0.113.0/24}]}\n---\n"
                                 "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\n"
                                 "metadata: {name: g, namespace: glob}\nspec: {trafficPolicy: Deny}\n");
  const auto r = run("--default-namespace team --global-namespace glob --cluster-networks 203.0.113.0/28 '" + f + "'");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("warning: EgressNetwork team/a: metadata.namespace: namespace 'team' has its own"));
  EXPECT_THAT(r.err, HasSubstr("intersects cluster network '203.0.113.0/28'"));
}

}  // namespace
