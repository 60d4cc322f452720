// tests/policy/suggest_cli_test.cpp — runs the built `nfegress suggest` on decision-log lines (from stdin and from
// files, two pods' logs, with lines that are not records), then the built `nfegress check` on what it printed
// (exit 0) and `nfegress explain` for flows it saw (allow) and one it did not (deny); usage and read errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace {

using namespace nfegress::testing;
using nlohmann::json;
using ::testing::HasSubstr;

// Lines as enforcer/decision_log.cpp writes them (keys in its order).
std::string record(const std::string& ts, const std::string& dst, const std::string& ns, const std::string& net,
                   const std::string& host, const std::string& verdict, const std::string& proto,
                   const std::string& method = "", const std::string& path = "") {
  nlohmann::ordered_json j;
  j["timestamp"] = ts;
  j["dst"] = dst;
  j["namespace"] = ns;
  j["egressNetwork"] = net;
  j["route"] = net.empty() ? "" : "default " + proto + "-egress-deny";
  j["host"] = host;
  j["verdict"] = verdict;
  j["reason"] = "no route matched";
  j["src"] = "192.0.2.7:40000";
  j["protocol"] = proto;
  j["method"] = method;
  j["path"] = path;
  return j.dump() + "\n";
}

const std::string kAll = "linkerd-egress/all";
const std::string kPodA =
    record("2026-12-01T22:04:05.123Z", "203.0.113.10:443", "app", kAll, "api.example.com", "deny", "tls") +
    "enforcer: reloaded policy\n" +
    record("2026-12-01T22:04:06.000Z", "[2001:db8::5]:80", "app", kAll, "httpbin.org", "allow", "http", "GET",
           "/get/x?a=1");
const std::string kPodB =
    record("2026-12-01T22:05:00.000Z", "198.51.100.7:5432", "app", kAll, "", "deny", "unknown") +
    "{\"timestamp\":\"2026-12-01T22:05:01.000Z\"}\n" +
    record("2026-12-01T22:05:02.000Z", "203.0.113.10:443", "app", kAll, "www.example.com", "allow", "tls");

class SuggestCli : public CliTest {
 protected:
  SuggestCli() : CliTest("suggest") {}
  CliResult as(const std::string& sub, const std::string& args, const std::string& in = "") {
    const std::string saved = subcommand_;
    subcommand_ = sub;
    auto r = run(args, in);
    subcommand_ = saved;
    return r;
  }
  std::string explain(const std::string& yaml, const std::string& flags) {
    const auto r = as("explain", "'" + yaml + "' --namespace app --output json " + flags);
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out)["decision"];
  }
};

TEST_F(SuggestCli, SuggestionPassesCheckAndAllowsWhatWasSeen) {
  const auto a = write("pod-a.log", kPodA);
  const auto r = run("'" + a + "' - --wildcard-depth 2", kPodB);  // a file and stdin: two pods' logs
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("skipped 2 line(s)"));
  EXPECT_THAT(r.err, HasSubstr("pod-a.log:2: not JSON"));
  EXPECT_THAT(r.err, HasSubstr("stdin:2: no \"dst\""));
  EXPECT_THAT(r.out, HasSubstr("# covers 4 flows (allow 2, deny 2), last seen 2026-12-01T22:05:02.000Z"));
  EXPECT_THAT(r.out, HasSubstr("\"*.example.com\""));
  const auto yaml = write("suggested.yaml", r.out);
  const auto check = as("check", "'" + yaml + "'");
  EXPECT_EQ(check.code, 0) << check.out << check.err << r.out;
  EXPECT_EQ(explain(yaml, "--to 203.0.113.10:443 --sni api.example.com"), "allow") << r.out;
  EXPECT_EQ(explain(yaml, "--to '[2001:db8::5]:80' --host httpbin.org --path /get/y --method GET"), "allow");
  EXPECT_EQ(explain(yaml, "--to 198.51.100.7:5432"), "allow");
  EXPECT_EQ(explain(yaml, "--to '[2001:db8::5]:80' --host httpbin.org --path /admin"), "deny");
  EXPECT_EQ(explain(yaml, "--to 192.0.2.200:443 --sni api.example.com"), "deny");
}

TEST_F(SuggestCli, NamespaceAggregateAndStdinByDefault) {
  const auto r = run("--namespace review --aggregate /24,/64 --path-depth 2 --no-catch-all", kPodA + kPodB);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("namespace: \"review\""));
  EXPECT_THAT(r.out, HasSubstr("/get/x"));
  EXPECT_EQ(r.out.find("deny-unseen"), std::string::npos);
  const auto check = as("check", "'" + write("s.yaml", r.out) + "'");
  EXPECT_EQ(check.code, 0) << check.err;
}

TEST_F(SuggestCli, UsageAndReadErrors) {
  EXPECT_EQ(run("--aggregate /33").code, 2);
  EXPECT_EQ(run("--aggregate /24,/129").code, 2);
  EXPECT_EQ(run("--path-depth x").code, 2);
  const auto missing = run("'" + (dir_ / "no-such.log").string() + "'");
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no-such.log"));
  EXPECT_TRUE(missing.out.empty());
  const auto help = run("--help");
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("--wildcard-depth"));
}

}  // namespace
