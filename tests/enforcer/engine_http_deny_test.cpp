// tests/enforcer/engine_http_deny_test.cpp — the engine's `403 traffic not allowed` answers: which denied requests
// get one (the first HTTP/1.x request of a connection, denied by a route), with which sequence numbers, and that it
// is sent before any verdict of the flow; keep-alive, parse failures, TLS, HTTP/2 and a failed send get the reset only.
#include <gtest/gtest.h>

#include "enforcer/engine.hpp"
#include "engine_policy.hpp"
#include "flow_builder.hpp"
#include "h2_test_frames.hpp"
#include "test_data.hpp"

namespace nfegress::enforcer {
namespace {

using namespace std::chrono_literals;
using V = nfq::Verdict;
constexpr std::uint32_t kDeny = 0x00200000;

const char* kPolicy = R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: all, namespace: linkerd-egress}
spec: {trafficPolicy: Deny}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: get, namespace: linkerd-egress}
spec:
  hostnames: [allowed.example]
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all, port: 80}]
  rules: [{matches: [{path: {type: PathPrefix, value: /get}}]}]
)";

constexpr const char* kNope = "GET /nope HTTP/1.1\r\nHost: allowed.example\r\n\r\n";  // no route matches

class HttpDenyTest : public ::testing::Test {
 protected:
  Counters c;
  std::unique_ptr<Engine> engine;
  std::vector<DecisionRecord> records;
  std::vector<VerdictOut> out;
  std::vector<ForgedReply> sent;
  std::vector<std::size_t> verdicts_before;  // out.size() when each 403 was sent
  bool send_ok = true;
  std::vector<testing::Bytes> keep;
  std::uint32_t next_id = 1;

  void SetUp() override {
    engine = std::make_unique<Engine>(test::compile_engine_policy(kPolicy), "app", EngineLimits{}, c);
    engine->set_decision_callback([this](const DecisionRecord& r) { records.push_back(r); });
    engine->set_http_deny_responder([this](const ForgedReply& r) {
      sent.push_back(r);
      verdicts_before.push_back(out.size());
      return send_ok;
    });
  }
  std::uint32_t send(const test::TcpBuilder& b) {
    keep.push_back(b.bytes());
    engine->on_packet(QueuedPacket{7, next_id, 0, false, testing::span_of(keep.back())}, Clock::time_point{} + 1s, out);
    return next_id++;
  }
  static test::TcpBuilder seg(std::uint32_t seq, std::uint32_t ack, std::string_view payload) {
    return test::tcp("192.0.2.1", 40000, "203.0.113.10", 80).seq(seq).ack(ack).payload(payload);
  }
};

TEST_F(HttpDenyTest, FirstRequestDeniedAnswered403BeforeTheVerdicts) {
  const std::string req = "GET /get HTTP/1.1\r\nHost: denied.example\r\nUser-Agent: t\r\n\r\n";
  const auto a = send(seg(1001, 7001, req.substr(0, 20)));
  const auto b = send(seg(1021, 7001, req.substr(20)));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(verdicts_before[0], 0u) << "the 403 goes out before any verdict of the flow";
  EXPECT_EQ(sent[0].flow.src, *policy::parse_ip("192.0.2.1"));
  EXPECT_EQ(sent[0].flow.dst, *policy::parse_ip("203.0.113.10"));
  EXPECT_EQ(sent[0].flow.sport, 40000);
  EXPECT_EQ(sent[0].flow.dport, 80);
  EXPECT_EQ(sent[0].seq, 7001u) << "the server's next byte: the client's acknowledgement";
  EXPECT_EQ(sent[0].ack, 1001u + req.size()) << "every held byte acknowledged";
  EXPECT_EQ(out, (std::vector<VerdictOut>{{7, a, V::Repeat, kDeny}, {7, b, V::Drop, std::nullopt}}));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].response, "403");
  EXPECT_EQ(c.http_deny_responses, 1u);
  EXPECT_EQ(c.http_deny_response_errors, 0u);
}

TEST_F(HttpDenyTest, ServerNextIsTheHighestAcknowledgementInSequenceSpace) {
  send(seg(0xfffffff0u, 0xfffffffeu, "GET /nope HTTP/1.1\r\n"));
  send(seg(0xfffffff0u + 20, 2, "Host: allowed.example\r\n\r\n"));  // wrapped past 0: higher
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].seq, 2u);
  EXPECT_EQ(sent[0].ack, 0xfffffff0u + 20 + 25);
}

TEST_F(HttpDenyTest, KeepAliveLaterRequestDeniedResetOnly) {
  const std::string r1 = "GET /get HTTP/1.1\r\nHost: allowed.example\r\n\r\n";
  const auto a = send(seg(1, 1, r1));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{7, a, V::Accept, std::nullopt}}));
  out.clear();
  const auto b = send(seg(1 + static_cast<std::uint32_t>(r1.size()), 500, kNope));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{7, b, V::Repeat, kDeny}}));
  EXPECT_TRUE(sent.empty()) << "the enforcer never sees the response: a 403 could land inside it";
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].response, "");
}

TEST_F(HttpDenyTest, PipelinedSecondRequestDeniedResetOnly) {
  send(seg(1, 1, std::string("GET /get HTTP/1.1\r\nHost: allowed.example\r\n\r\n") + kNope));
  EXPECT_TRUE(sent.empty());
}

TEST_F(HttpDenyTest, ParseFailureResetOnly) {
  send(seg(1, 1, "GET /get HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Deny);
  EXPECT_TRUE(sent.empty());
}

TEST_F(HttpDenyTest, NotHttpAndHttp2ResetOnly) {
  send(seg(1, 1, "\x16\x03\x01 not http at all\r\n\r\n"));
  testing::H2Bytes h2 = testing::preface_and_settings();
  testing::Deflater d;
  testing::put_frame(h2, 0x1, 0x5, 1, d.block({{":method", "GET"}, {":scheme", "http"}, {":path", "/nope"},
                                               {":authority", "allowed.example"}}));  // HEADERS, END_STREAM|END_HEADERS
  send(test::tcp("192.0.2.1", 40001, "203.0.113.10", 80).seq(1).ack(1).payload(h2));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].protocol, "http2");
  EXPECT_EQ(records[1].verdict, FlowVerdict::Deny);
  EXPECT_TRUE(sent.empty());
}

TEST_F(HttpDenyTest, NoAcknowledgementSeenNoAnswer) {  // TCP Fast Open: the server's sequence number is unknown
  send(test::tcp("192.0.2.1", 40002, "203.0.113.10", 80).seq(99).syn().payload(kNope));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(sent.empty());
}

TEST_F(HttpDenyTest, FailedSendCountedAndNotLogged) {
  send_ok = false;
  send(seg(1, 1, kNope));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(c.http_deny_responses, 0u);
  EXPECT_EQ(c.http_deny_response_errors, 1u);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].response, "");
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].mark, kDeny);
}

}  // namespace
}  // namespace nfegress::enforcer
