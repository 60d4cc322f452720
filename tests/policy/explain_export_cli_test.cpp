// tests/policy/explain_export_cli_test.cpp — runs the built `nfegress explain` and `nfegress export` on the
// Linkerd documentation example (plus the HTTPRoute example): decisions and their JSON shape, the why-text,
// usage and manifest errors (exit codes 2 and 1, nothing printed on stdout), and the export formats.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace {

using namespace nfegress::testing;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kExamples = "'" + kSrc + "/deploy/examples/linkerd-docs-egress.yaml' '" + kSrc +
                              "/deploy/examples/httproute-egress.yaml'";

class ExplainCli : public CliTest {
 protected:
  ExplainCli() : CliTest("explain") {}
  json ask(const std::string& flags) {
    const auto r = run(kExamples + " --namespace app --output json " + flags);
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out);
  }
};

TEST_F(ExplainCli, AllowedSniNamesNetworkAndRoute) {
  const auto j = ask("--to 203.0.113.5:443 --sni httpbin.org");
  EXPECT_EQ(j["decision"], "allow");
  EXPECT_EQ(j["egressNetwork"], "linkerd-egress/all-egress-traffic");
  EXPECT_EQ(j["route"], (json{{"kind", "TLSRoute"}, {"namespace", "linkerd-egress"}, {"name", "tls-egress"}}));
  EXPECT_FALSE(j["reason"].get<std::string>().empty());
}

TEST_F(ExplainCli, OtherSniAndMissingSniAreDenied) {
  EXPECT_EQ(ask("--to 203.0.113.5:443 --sni evil.example")["decision"], "deny");
  const auto j = ask("--to 203.0.113.5:443");  // no --sni: a connection without SNI
  EXPECT_EQ(j["decision"], "deny");
  EXPECT_EQ(j["egressNetwork"], "linkerd-egress/all-egress-traffic");
}

TEST_F(ExplainCli, PortWithoutRoutesIsDeniedAndClusterNetworkUntouched) {
  EXPECT_EQ(ask("--to 203.0.113.5:22")["decision"], "deny");
  EXPECT_EQ(ask("--to 203.0.113.5:53 --proto udp")["decision"], "deny");
  const auto j = ask("--to 10.1.2.3:443 --sni httpbin.org");
  EXPECT_EQ(j["decision"], "untouched");
  EXPECT_TRUE(j["egressNetwork"].is_null());
  EXPECT_TRUE(j["route"].is_null());
}

TEST_F(ExplainCli, HttpRouteMatchesHostPathAndMethod) {
  const auto ok = ask("--to '[2001:db8::5]:80' --host httpbin.org --path /get/x --method GET");
  EXPECT_EQ(ok["decision"], "allow");
  EXPECT_EQ(ok["route"]["name"], "http-egress");
  EXPECT_EQ(ask("--to 203.0.113.5:80 --host httpbin.org --path /post --method GET")["decision"], "deny");
  EXPECT_EQ(ask("--to 203.0.113.5:80 --host httpbin.org --path /get --method POST")["decision"], "deny");
  EXPECT_EQ(ask("--to 203.0.113.5:80 --host other.example --path /get")["decision"], "deny");
}

TEST_F(ExplainCli, TextSaysWhy) {
  const auto r = run(kExamples + " --namespace app --to 203.0.113.5:443 --sni httpbin.org");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("allow"));
  EXPECT_THAT(r.out, HasSubstr("linkerd-egress/all-egress-traffic"));
  EXPECT_THAT(r.out, HasSubstr("tls-egress"));
  EXPECT_GT(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;  // the why lines follow the decision
}

TEST_F(ExplainCli, UsageErrorsExitTwo) {
  EXPECT_EQ(run(kExamples + " --namespace app").code, 2);                     // no --to
  EXPECT_EQ(run(kExamples + " --to 203.0.113.5:443").code, 2);                // no --namespace
  EXPECT_EQ(run(kExamples + " --namespace app --to 203.0.113.5").code, 2);    // no port
  EXPECT_EQ(run(kExamples + " --namespace app --to 203.0.113.5:0").code, 2);  // port 0
  EXPECT_EQ(run(kExamples + " --namespace app --to 203.0.113.5:1 --proto sctp").code, 2);
  EXPECT_EQ(run(kExamples + " --namespace app --to 203.0.113.5:80 --header nocolon").code, 2);
}

TEST_F(ExplainCli, InvalidManifestExitsOneNamingTheField) {
  const auto f = write("bad.yaml",
                       "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {name: bad, namespace: "
                       "app}\nspec:\n  trafficPolicy: Sometimes\n");
  const auto r = run("'" + f + "' --namespace app --to 203.0.113.5:443");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("bad.yaml:5:"));
  EXPECT_THAT(r.err, HasSubstr("EgressNetwork app/bad"));
  EXPECT_THAT(r.err, HasSubstr("trafficPolicy"));
}

class ExportCli : public CliTest {
 protected:
  ExportCli() : CliTest("export") {}
};

// Lines of the nft text that are a rule with a queue statement, not a comment (with the SYN-ACK anchor the queue
// statement follows a `meta mark set`, so it does not start the line).
std::size_t queue_rules(const std::string& text) {
  std::size_t n = 0, at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    const std::string line = text.substr(at, end - at);
    const std::size_t first = line.find_first_not_of('\t');
    if (first != std::string::npos && line[first] != '#' &&
        (line.compare(first, 6, "queue ") == 0 || line.find(" queue ") != std::string::npos))
      ++n;
    at = end + 1;
  }
  return n;
}

TEST_F(ExportCli, NftTextNamesTableQueueAndSources) {
  const auto r = run(kExamples + " --namespace app --queue-impl compat");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("# nfegress ruleset; queue implementation: compat"));
  EXPECT_THAT(r.out, HasSubstr("table inet nfegress {"));
  EXPECT_THAT(r.out, HasSubstr("linkerd-egress/all-egress-traffic"));
  EXPECT_THAT(r.out, HasSubstr("reject with tcp reset"));
  EXPECT_GT(queue_rules(r.out), 0u) << r.out;  // shown as the equivalent native statement
}

TEST_F(ExportCli, CheckableCommentsOutTheCompatQueueRule) {
  const auto r = run(kExamples + " --namespace app --queue-impl compat --checkable");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\t\t# "));
  EXPECT_EQ(queue_rules(r.out), 0u) << r.out;
}

TEST_F(ExportCli, JsonIsTheNftSchema) {
  const auto r = run(kExamples + " --namespace app --format json --queue-impl native --table audit");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = json::parse(r.out);
  ASSERT_TRUE(j.contains("nftables"));
  bool table = false, queue = false;
  for (const auto& o : j["nftables"]) {
    // The inet table; a netdev table of the same name follows when the machine has interfaces to guard.
    if (o.contains("table"))
      table = table || (o["table"]["name"] == "audit" && o["table"]["family"] == "inet");
    if (o.contains("rule"))
      for (const auto& e : o["rule"]["expr"]) queue = queue || e.contains("queue");
  }
  EXPECT_TRUE(table) << r.out;
  EXPECT_TRUE(queue) << r.out;
}

// The second line names the DNS learning set-up (docs/architecture.md, "The DNS answer queue"), or that it is off.
TEST_F(ExportCli, NameBindingIsNamedInTheHeader) {
  auto r = run(kExamples + " --namespace app --queue-impl native --dns-servers 192.0.2.53,2001:db8::53 --queue-total 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\n# name binding resolve: DNS answers from 192.0.2.53, 2001:db8::53 (replies from "
                               "udp and tcp port 53, never on lo) are counted and queued to 101 with bypass"));
  EXPECT_THAT(r.out, HasSubstr("ip6 saddr @dns6 udp sport 53 ct state established counter queue flags bypass to 101"));
  r = run(kExamples + " --namespace app --queue-impl native --name-binding off");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\n# name binding off: an allowed SNI or Host reaches any address of its network "
                               "(upstream Linkerd's behaviour)\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("dns_answers")));
  r = run(kExamples + " --namespace app --dns-servers 192.0.2.53,dns.example");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("--dns-servers: 'dns.example' is not an IP address"));
  r = run(kExamples + " --namespace app --queue-num 100 --queue-total 2 --dns-queue 101");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--dns-queue 101 overlaps the flow queues 100-101"));
}

TEST_F(ExportCli, ErrorsPrintNothingOnStdout) {
  EXPECT_EQ(run(kExamples).code, 2);  // no --namespace
  EXPECT_EQ(run(kExamples + " --namespace app --format yaml").code, 2);
  const auto f = write("bad.yaml", "kind: EgressNetwork\napiVersion: policy.linkerd.io/v1alpha1\nmetadata: [\n");
  const auto r = run("'" + f + "' --namespace app");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("bad.yaml:"));
}

}  // namespace
