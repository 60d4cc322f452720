// tests/enforcer/engine_audit_test.cpp — audit mode in the enforcer (issue 20): the engine policy's network with
// nfegress.io/mode: audit lets what it would deny through (denied SNI, forbidden HTTP request, a port the policy
// no longer inspects) and records each as a would-deny with the enforce reason; bound and parse denials still
// deny. Then the decision log line and the Linkerd metrics (error="audit") of such a record, and the kernel's
// audit counters on the metrics endpoint.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "enforcer/decision_log.hpp"
#include "enforcer/engine.hpp"
#include "enforcer/metrics.hpp"
#include "engine_policy.hpp"
#include "flow_builder.hpp"
#include "test_data.hpp"

namespace nfegress::enforcer {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::Bytes;
using V = nfq::Verdict;
constexpr std::uint32_t kAllow = 0x00100000, kDeny = 0x00200000, kMask = 0x00300000;

// The engine policy with its EgressNetwork in audit mode (`mode` "" = enforced).
std::string policy_with(const std::string& mode) {
  std::string y = test::kEnginePolicy;
  const std::string head = "metadata: {name: all, namespace: linkerd-egress}";
  if (!mode.empty())
    y.replace(y.find(head), head.size(),
              "metadata: {name: all, namespace: linkerd-egress, annotations: {nfegress.io/mode: " + mode + "}}");
  return y;
}

class EngineAuditTest : public ::testing::Test {
 protected:
  Counters c;
  std::unique_ptr<Engine> engine;
  std::vector<DecisionRecord> records;
  std::vector<VerdictOut> out;
  std::vector<Bytes> keep;
  std::uint32_t next_id = 1;
  std::string yaml;
  void start(const std::string& mode) {
    yaml = policy_with(mode);
    engine = std::make_unique<Engine>(test::compile_engine_policy(yaml.c_str()), "app", EngineLimits{}, c);
    engine->set_decision_callback([this](const DecisionRecord& r) { records.push_back(r); });
  }
  std::uint32_t send(const test::TcpBuilder& b) {
    keep.push_back(b.bytes());
    engine->on_packet(QueuedPacket{100, next_id, 0, false, testing::span_of(keep.back())},
                      Clock::time_point{} + 1000s, out);
    return next_id++;
  }
  static Bytes flight(std::string_view file) { return testing::flight("tls", file); }
  static test::TcpBuilder seg(std::uint16_t dport, std::uint32_t seq, std::string_view payload) {
    return test::tcp("192.0.2.1", 40000, "203.0.113.10", dport).seq(seq).ack(1).payload(payload);
  }
};

TEST_F(EngineAuditTest, DeniedSniLetThroughAsAWouldDenyWithTheEnforceReason) {
  start("");
  const Bytes ch = flight("openssl.tls.bin");  // SNI openssl.tls.example: no route
  send(test::tcp("192.0.2.1", 40000, "203.0.113.10", 443).seq(1).ack(1).payload(ch));
  ASSERT_EQ(records.size(), 1u);
  const std::string enforce_reason = record_reason(records[0]);
  EXPECT_EQ(out.back().mark, kDeny);

  out.clear();
  records.clear();
  c = Counters{};
  start("audit");
  const auto id = send(test::tcp("192.0.2.1", 40000, "203.0.113.10", 443).seq(1).ack(1).payload(ch));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, id);
  EXPECT_EQ(out[0].verdict, V::Accept);  // let through, and the flow marked allowed in the kernel
  ASSERT_TRUE(out[0].ct);
  EXPECT_EQ(out[0].ct->value, kAllow);
  EXPECT_EQ(out[0].ct->mask, kMask);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Allow);
  EXPECT_TRUE(records[0].audit);
  EXPECT_EQ(record_reason(records[0]), enforce_reason);
  EXPECT_EQ(c.audit_would_deny, 1u);
  EXPECT_EQ(c.flows_allowed, 1u);
  EXPECT_EQ(c.flows_denied, 0u);
}

TEST_F(EngineAuditTest, ForbiddenHttpRequestPassesAndTheNextIsStillChecked) {
  start("audit");
  const std::string r1 = "GET /forbidden HTTP/1.1\r\nHost: h.example\r\n\r\n";
  const std::string r2 = "GET /get HTTP/1.1\r\nHost: h.example\r\n\r\n";
  const auto a = send(seg(80, 1, r1));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, a, V::Accept, std::nullopt}}));  // passed, no mark: inspected on
  const auto b = send(seg(80, 1 + static_cast<std::uint32_t>(r1.size()), r2));
  EXPECT_EQ(out.back(), (VerdictOut{100, b, V::Accept, std::nullopt}));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[0].audit);
  EXPECT_EQ(records[0].path, "/forbidden");
  EXPECT_FALSE(records[1].audit);  // allowed by the route: no would-deny
  EXPECT_EQ(records[1].verdict, FlowVerdict::Allow);
  EXPECT_EQ(c.requests_denied, 0u);
  EXPECT_EQ(c.audit_would_deny, 1u);
}

// Switching to enforce by reload reaches an open keep-alive connection: its next forbidden request is denied.
TEST_F(EngineAuditTest, ReloadToEnforceDeniesTheNextRequestOfAnOpenConnection) {
  start("audit");
  const std::string r1 = "GET /forbidden HTTP/1.1\r\nHost: h.example\r\n\r\n";
  send(seg(80, 1, r1));
  ASSERT_EQ(out.back().verdict, V::Accept);
  yaml = policy_with("");
  engine->set_policy(test::compile_engine_policy(yaml.c_str()));
  const auto b = send(seg(80, 1 + static_cast<std::uint32_t>(r1.size()), r1));
  EXPECT_EQ(out.back(), (VerdictOut{100, b, V::Repeat, kDeny}));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_FALSE(records[1].audit);
  EXPECT_EQ(records[1].verdict, FlowVerdict::Deny);
  EXPECT_EQ(records[1].network, "linkerd-egress/all");
}

TEST_F(EngineAuditTest, ParseFailuresStillDeny) {
  start("audit");
  send(seg(80, 1, "GET /get HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].mark, kDeny);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0].audit);
  EXPECT_EQ(c.audit_would_deny, 0u);
}

TEST_F(EngineAuditTest, PortNoLongerInspectedDecidedByItsDefaultAsAWouldDeny) {
  start("audit");
  send(seg(8080, 1, "hello"));  // the policy says port 8080 is the kernel's: a Deny default
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].verdict, V::Accept);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].audit);
}

TEST(AuditDecisionLog, VerdictAllowAuditDenyWithTheReason) {
  DecisionRecord r;
  r.dst = *policy::parse_ip("203.0.113.10");
  r.dport = 443;
  r.src = *policy::parse_ip("192.0.2.1");
  r.sport = 40000;
  r.client_ns = "app";
  r.network = "linkerd-egress/all";
  r.protocol = "tls";
  r.host = "openssl.tls.example";
  r.verdict = FlowVerdict::Allow;
  r.audit = true;
  r.reason = "no TLSRoute matches";
  const std::string line = format_decision(r, std::chrono::system_clock::time_point{});
  EXPECT_THAT(line, HasSubstr(R"("verdict":"allow","audit":"deny","reason":"no TLSRoute matches")"));
  r.audit = false;
  EXPECT_THAT(format_decision(r, {}), ::testing::Not(HasSubstr("\"audit\"")));
}

TEST(AuditMetrics, WouldDeniesCarryErrorAudit) {
  Metrics m;
  DecisionRecord r;
  r.network = "linkerd-egress/all";
  r.dport = 443;
  r.protocol = "tls";
  r.verdict = FlowVerdict::Allow;
  r.audit = true;
  m.count_decision(r, nullptr);
  r.protocol = "http";
  m.count_decision(r, nullptr);
  r.audit = false;
  m.count_decision(r, nullptr);  // a plain allow: error=""
  const std::string text = m.render();
  EXPECT_THAT(text, HasSubstr(R"(outbound_tls_route_close_total{parent_group="policy.linkerd.io")"));
  EXPECT_THAT(text, HasSubstr(R"(hostname="",error="audit"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(hostname="",http_status="",error="audit"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(hostname="",http_status="",error=""} 1)"));
  m.set_audit_reader([] {
    return std::vector<netfilter::AuditCount>{{"linkerd-egress/all", "udp", 53, 4, 240, ""}};
  });
  EXPECT_THAT(m.render(), HasSubstr("nfegress_audit_kernel_flows_total{parent_namespace=\"linkerd-egress\","
                                    "parent_name=\"all\",protocol=\"udp\",port=\"53\"} 4\n"));
  // Node mode: one network in two plans, each with its own sets: the plan label keeps them apart.
  m.set_audit_reader([] {
    return std::vector<netfilter::AuditCount>{{"linkerd-egress/all", "tcp", 80, 2, 120, "global"},
                                              {"linkerd-egress/all", "tcp", 80, 5, 300, "ns_team-b"}};
  });
  const std::string node = m.render();
  EXPECT_THAT(node, HasSubstr("nfegress_audit_kernel_flows_total{parent_namespace=\"linkerd-egress\","
                              "parent_name=\"all\",protocol=\"tcp\",port=\"80\",plan=\"global\"} 2\n"));
  EXPECT_THAT(node, HasSubstr("nfegress_audit_kernel_flows_total{parent_namespace=\"linkerd-egress\","
                              "parent_name=\"all\",protocol=\"tcp\",port=\"80\",plan=\"ns_team-b\"} 5\n"));
}

}  // namespace
}  // namespace nfegress::enforcer
