// tests/enforcer/decision_log_test.cpp — one JSON line per decision: exact text, key order, IPv6 brackets,
// the 403 answer, hostile bytes in the host, concurrent writers never interleave.
#include "enforcer/decision_log.hpp"
#include "engine_policy.hpp"

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
  // The seconds' text is cached per thread: the same second, the next one, and back.
  EXPECT_EQ(format_timestamp(at(1796162645007)), "2026-12-01T22:04:05.007Z");
  EXPECT_EQ(format_timestamp(at(1796162646090)), "2026-12-01T22:04:06.090Z");
  EXPECT_EQ(format_timestamp(at(1796162645999)), "2026-12-01T22:04:05.999Z");
  EXPECT_EQ(format_timestamp(at(-1)), "1969-12-31T23:59:59.999Z");
}

DecisionRecord record() {
  DecisionRecord r;
  r.src = *policy::parse_ip("192.0.2.7");
  r.sport = 40000;
  r.dst = *policy::parse_ip("203.0.113.10");
  r.dport = 443;
  r.client_ns = "app";
  r.network = "linkerd-egress/all";
  r.route = policy::RouteRef{"default", "linkerd-egress", "tls-egress-deny", true};
  r.protocol = "tls";
  r.host = "github.com";
  r.verdict = FlowVerdict::Deny;
  r.reason = "no TLSRoute matches \"github.com\"";
  return r;
}

TEST(DecisionLog, ExactLine) {
  EXPECT_EQ(format_decision(record(), at(0)),
            R"({"timestamp":"1970-01-01T00:00:00.000Z","dst":"203.0.113.10:443","namespace":"app",)"
            R"("egressNetwork":"linkerd-egress/all","route":"default tls-egress-deny","host":"github.com",)"
            R"("verdict":"deny","reason":"no TLSRoute matches \"github.com\"","src":"192.0.2.7:40000",)"
            R"("protocol":"tls","method":"","path":""})");
}

policy::Decision no_sni_match(std::string_view host) {
  policy::Decision d;
  d.network = 0;
  d.reason = policy::ReasonCode::NoTlsMatch;
  d.port = 443;
  std::copy(host.begin(), host.end(), d.host.begin());
  d.host_len = static_cast<std::uint16_t>(host.size());
  return d;
}

// Issue 19: each thread remembers the reason texts it rendered, per plan and decision: a text that names the host
// or the address is never served for another one, and a new plan gets its own.
TEST(DecisionLog, RememberedReasonsAreTheDecisionsOwn) {
  const auto compiled = test::compile_engine_policy();
  DecisionRecord r = record();
  r.reason.clear();
  r.plan = std::shared_ptr<const policy::Plan>(compiled, &compiled->plan);
  const auto reason_of = [](const DecisionRecord& x) {
    return nlohmann::json::parse(format_decision(x, at(0)))["reason"].get<std::string>();
  };
  for (int round = 0; round < 2; ++round) {  // the second round is served from the cache
    for (const char* host : {"a.example", "b.example"}) {
      r.decision = no_sni_match(host);
      EXPECT_EQ(reason_of(r), record_reason(r));
      EXPECT_NE(reason_of(r).find(std::string("SNI ") + host), std::string::npos) << reason_of(r);
    }
    policy::Decision none;
    for (const char* dst : {"203.0.113.77", "2001:db8::77"}) {
      none.dst = *policy::parse_ip(dst);
      r.decision = none;
      EXPECT_NE(reason_of(r).find(dst), std::string::npos) << reason_of(r);
    }
  }
  const auto other = test::compile_engine_policy();
  r.plan = std::shared_ptr<const policy::Plan>(other, &other->plan);
  r.decision = no_sni_match("c.example");
  EXPECT_EQ(reason_of(r), record_reason(r));
  r.reason = "bound: the enforcer's own";  // the enforcer's reason wins over the matcher's
  EXPECT_EQ(reason_of(r), "bound: the enforcer's own");
}

TEST(DecisionLog, EndpointsAsInetNtop) {
  for (const char* a : {"0.0.0.0", "255.255.255.255", "192.0.2.7", "10.0.0.1"})
    EXPECT_EQ(format_endpoint(*policy::parse_ip(a), 0), std::string(a) + ":0");
  EXPECT_EQ(format_endpoint(*policy::parse_ip("2001:db8::1"), 65535), "[2001:db8::1]:65535");
  EXPECT_EQ(format_endpoint(*policy::parse_ip("::ffff:192.0.2.1"), 443), "[::ffff:192.0.2.1]:443");
}

TEST(DecisionLog, ResponseOnlyWhenTheClientGotOne) {
  DecisionRecord r = record();
  r.protocol = "http";
  EXPECT_EQ(format_decision(r, at(0)).find("response"), std::string::npos);
  r.response = "403";
  const std::string line = format_decision(r, at(0));
  EXPECT_TRUE(line.ends_with(R"("method":"","path":"","response":"403"})")) << line;
}

TEST(DecisionLog, RouteAndIpv6) {
  DecisionRecord r;
  r.dst = *policy::parse_ip("2001:db8::1");
  r.dport = 80;
  r.route = policy::RouteRef{"HTTPRoute", "app", "get", false};
  r.verdict = FlowVerdict::Allow;
  r.method = "GET";
  r.path = "/get";
  const auto j = nlohmann::json::parse(format_decision(r, at(0)));
  EXPECT_EQ(j["dst"], "[2001:db8::1]:80");
  EXPECT_EQ(j["route"], "HTTPRoute app/get");
  EXPECT_EQ(j["verdict"], "allow");
  EXPECT_EQ(j["egressNetwork"], "");
  EXPECT_EQ(j["path"], "/get");
  EXPECT_EQ(format_route(std::nullopt), "");
}

TEST(DecisionLog, InvalidUtf8FromTheWireDoesNotThrow) {
  DecisionRecord r;
  r.host = std::string("a\xff\xfe", 3);
  r.path = std::string("/\xc3", 2);
  std::string line;
  ASSERT_NO_THROW(line = format_decision(r, at(0)));
  EXPECT_TRUE(nlohmann::json::accept(line));
}

// The line is assembled by hand (the fast path): it must equal what a whole nlohmann object dump gives, for every
// field and every kind of byte the wire can put in it (quotes, backslashes, controls, UTF-8, invalid UTF-8).
TEST(DecisionLog, SameTextAsAWholeObjectDump) {
  const std::vector<std::string> values{"", "plain.example", "a\"b", "back\\slash", std::string("nul\0x", 5),
                                        "tab\tnl\ncr\r\x01\x1f\x7f", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                                        "bad\xff\xfe", "cut\xc3", "\xed\xa0\x80surrogate", "over\xc0\xaflong"};
  for (const std::string& v : values) {
    DecisionRecord r = record();
    r.host = r.method = r.path = r.response = r.reason = r.client_ns = r.protocol = v;
    nlohmann::ordered_json j;
    j["timestamp"] = format_timestamp(at(0));
    j["dst"] = "203.0.113.10:443";
    j["namespace"] = v;
    j["egressNetwork"] = r.network;
    j["route"] = "default tls-egress-deny";
    j["host"] = v;
    j["verdict"] = "deny";
    j["reason"] = v;
    j["src"] = "192.0.2.7:40000";
    j["protocol"] = v;
    j["method"] = v;
    j["path"] = v;
    if (!v.empty()) j["response"] = v;
    EXPECT_EQ(format_decision(r, at(0)), j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace))
        << nlohmann::json(v).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  }
}

TEST(DecisionLog, ConcurrentWritersWriteWholeLines) {
  std::ostringstream out;
  DecisionLog log(out, [] { return at(5); });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&log, t] {
      DecisionRecord r = record();
      r.sport = static_cast<std::uint16_t>(t);
      auto cb = log.callback();
      for (int i = 0; i < 200; ++i) cb(r);
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

// Issue 19: queue workers append lines to their own buffers and write a burst at a time; every line arrives once,
// whole, and a worker's lines stay in its order.
TEST(DecisionLog, WorkerBurstsAreWholeAndNoneLost) {
  std::ostringstream out;
  DecisionLog log(out, [] { return at(5); });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&log, t] {
      std::string lines;
      for (int i = 0; i < 500; ++i) {
        DecisionRecord r = record();
        r.sport = static_cast<std::uint16_t>(t * 1000 + i);
        log.append_line(r, lines);
        if (i % 7 == 6) {  // bursts of 7 lines
          log.write_lines(lines);
          lines.clear();
        }
      }
      log.write_lines(lines);
    });
  for (auto& th : threads) th.join();
  std::istringstream in(out.str());
  std::string line;
  std::vector<int> next(4, 0);
  int n = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);  // throws (fails the test) on a torn line
    const std::string src = j["src"];
    const int port = std::stoi(src.substr(src.rfind(':') + 1));
    EXPECT_EQ(port % 1000, next[port / 1000]++) << "worker " << port / 1000 << " out of order";
    ++n;
  }
  EXPECT_EQ(n, 2000);
}

}  // namespace
}  // namespace nfegress::enforcer
