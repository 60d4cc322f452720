// tests/enforcer/decision_log_test.cpp — one JSON line per decision: exact text, key order, IPv6 brackets,
// hostile bytes in the host, concurrent writers never interleave.
#include "enforcer/decision_log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

namespace nfegress::enforcer {
namespace {

using namespace std::chrono;

system_clock::time_point at(std::int64_t ms) { return system_clock::time_point(milliseconds(ms)); }

TEST(DecisionLog, Timestamp) {
  EXPECT_EQ(format_timestamp(at(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(at(1796162645123)), "2026-12-01T22:04:05.123Z");
}

TEST(DecisionLog, ExactLine) {
  DecisionLogEntry e{"203.0.113.10:443", "app", "linkerd-egress/all", "default tls-egress-deny", "github.com",
                     "deny", "no TLSRoute matches \"github.com\""};
  EXPECT_EQ(format_decision(e, at(0)),
            R"({"timestamp":"1970-01-01T00:00:00.000Z","dst":"203.0.113.10:443","namespace":"app",)"
            R"("egressNetwork":"linkerd-egress/all","route":"default tls-egress-deny","host":"github.com",)"
            R"("verdict":"deny","reason":"no TLSRoute matches \"github.com\""})");
}

TEST(DecisionLog, FromMatcherDecision) {
  policy::Plan plan;
  plan.client_ns = "app";
  plan.networks.push_back({});
  plan.networks[0].ns = "egress";
  plan.networks[0].name = "web";
  policy::Decision d;
  d.kind = policy::DecisionKind::Allow;
  d.network = 0;
  d.route = policy::RouteRef{"HTTPRoute", "app", "get", false};
  d.reason = "matched";
  auto ip = policy::parse_ip("2001:db8::1");
  ASSERT_TRUE(ip);
  DecisionLogEntry e = decision_entry(plan, d, *ip, 80, "example.org");
  EXPECT_EQ(e.dst, "[2001:db8::1]:80");
  EXPECT_EQ(e.ns, "app");
  EXPECT_EQ(e.egress_network, "egress/web");
  EXPECT_EQ(e.route, "HTTPRoute app/get");
  EXPECT_EQ(e.verdict, "allow");
  EXPECT_EQ(format_route(std::nullopt), "");
}

TEST(DecisionLog, InvalidUtf8InHostDoesNotThrow) {
  DecisionLogEntry e;
  e.host = std::string("a\xff\xfe", 3);
  std::string line;
  ASSERT_NO_THROW(line = format_decision(e, at(0)));
  EXPECT_TRUE(nlohmann::json::accept(line));
}

TEST(DecisionLog, ConcurrentWritersWriteWholeLines) {
  std::ostringstream out;
  DecisionLog log(out, [] { return at(5); });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&log, t] {
      DecisionLogEntry e;
      e.dst = "192.0.2." + std::to_string(t) + ":443";
      e.verdict = "allow";
      for (int i = 0; i < 200; ++i) log.write(e);
    });
  for (auto& th : threads) th.join();
  std::istringstream in(out.str());
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);  // throws (fails the test) on a torn line
    EXPECT_EQ(j["timestamp"], "1970-01-01T00:00:00.005Z");
    ++n;
  }
  EXPECT_EQ(n, 800);
}

}  // namespace
}  // namespace nfegress::enforcer
