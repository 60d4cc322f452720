// tests/enforcer/engine_test.cpp — the enforcer's pure engine: queued packets in, verdicts out. Real first flights
// split into segments, HTTP keep-alive with a forbidden second request, bounds (bytes, segments, time, flows),
// overlap conflicts, TCP Fast Open, and decisions remembered for packets still in the queue.
#include <gtest/gtest.h>

#include <algorithm>

#include "enforcer/decision_log.hpp"
#include "enforcer/engine.hpp"
#include "engine_fixture.hpp"

namespace nfegress::enforcer {
namespace {

using namespace std::chrono_literals;
using testing::Bytes;
using V = nfq::Verdict;

constexpr std::uint32_t kAllow = 0x00100000, kDeny = 0x00200000, kMask = 0x00300000;

// An allowed flow: its conntrack mark is set to ALLOW (ctnetlink) before the first packet is accepted; no packet
// mark (a process with CAP_NET_RAW could forge one).
CtMarkSet ct_allow(std::uint16_t sport, std::uint16_t dport = 443) {
  return {FlowKey{*policy::parse_ip("192.0.2.1"), *policy::parse_ip("203.0.113.10"), sport, dport}, kMask, kAllow};
}

std::shared_ptr<const CompiledPolicy> compiled(const char* yaml = test::kEnginePolicy) {
  return test::compile_engine_policy(yaml);
}

class EngineTest : public test_support::EngineFixture {
 protected:
  void SetUp() override { start(); }
};

// The handshake's ACK fixes where the stream starts, strictly (tests/attack/insertion.sh, "old"): an allowed
// ClientHello sent as old data ending where the stream begins (the server drops it as a duplicate) or past the
// reassembly window (the real first bytes fill the gap later) is never read as the first flight: denied, held
// bytes dropped, nothing allowed. Without the ACK the first segment starts the stream, as before.
TEST_F(EngineTest, DataOutsideTheStartsWindowIsDeniedNotRead) {
  const Bytes ch = flight("chromium.tls.bin");
  const std::uint32_t isn1 = 7001;
  for (const std::uint32_t at : {isn1 - static_cast<std::uint32_t>(ch.size()), isn1 + 16 * 1024}) {
    const std::uint16_t sport = at < isn1 ? 40010 : 40011;
    send(test::tcp("192.0.2.1", sport, "203.0.113.10", 443).seq(isn1).ack(1));  // the handshake's ACK
    out.clear();
    records.clear();
    const auto id = send(tls_seg(at, ch, sport));
    ASSERT_EQ(records.size(), 1u) << at;
    EXPECT_EQ(records[0].verdict, FlowVerdict::Deny);
    for (const auto& v : out) {
      EXPECT_NE(v.verdict, V::Accept) << "the decoy must not leave (" << at << ")";
      EXPECT_FALSE(v.ct) << "no conntrack ALLOW";
    }
    EXPECT_TRUE(std::any_of(out.begin(), out.end(), [&](const VerdictOut& v) { return v.id == id; }));
  }
  EXPECT_EQ(c.flows_allowed, 0u);
  EXPECT_GE(c.missed_start + c.bound_bytes, 2u);
  // No ACK seen: the first segment is the start (allowed).
  out.clear();
  records.clear();
  send(tls_seg(isn1, ch, 40012));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Allow);
}

TEST_F(EngineTest, AllowedSniSplitOverSegmentsReleasedInSequenceOrder) {
  const Bytes ch = flight("chromium.tls.bin");  // ~1.9 KB: three segments, sent out of order
  const std::uint32_t isn1 = 5001;
  const auto ack = send(test::tcp("192.0.2.1", 40000, "203.0.113.10", 443).seq(isn1).ack(1));  // handshake's ACK
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, ack, V::Accept, std::nullopt}}));
  out.clear();
  const auto b = send(tls_seg(isn1 + 1000, slice(ch, 1000, 1400)));
  const auto a = send(tls_seg(isn1, slice(ch, 0, 1000)));
  EXPECT_TRUE(out.empty()) << "nothing is released before the ClientHello is complete";
  const auto d = send(tls_seg(isn1, slice(ch, 0, 1000)));  // retransmission: dropped, the held copy goes out
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], (VerdictOut{100, d, V::Drop, std::nullopt}));
  out.clear();
  const auto e = send(tls_seg(isn1 + 1400, slice(ch, 1400, ch.size())));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], (VerdictOut{100, a, V::Accept, std::nullopt, std::nullopt}));
  EXPECT_EQ(out[1], (VerdictOut{100, b, V::Accept, std::nullopt, std::nullopt}));
  EXPECT_EQ(out[2], (VerdictOut{100, e, V::Accept, std::nullopt, ct_allow(40000)}))
      << "the conntrack mark goes after the last held packet's verdict";
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].host, "chromium.tls.example");
  EXPECT_EQ(records[0].verdict, FlowVerdict::Allow);
  EXPECT_EQ(records[0].network, "linkerd-egress/all");
  ASSERT_TRUE(records[0].route);
  EXPECT_EQ(records[0].route->name, "tls-ok");
  EXPECT_EQ(c.flows_allowed, 1u);
  // The reason is rendered only when printed, from the plan the flow was decided on (kept alive by the record).
  EXPECT_TRUE(records[0].reason.empty());
  const DecisionRecord kept = records[0];
  engine->set_policy(compiled());
  EXPECT_EQ(record_reason(kept),
            "TLSRoute linkerd-egress/tls-ok rule 0 matched on port 443 of EgressNetwork linkerd-egress/all by "
            "hostname chromium.tls.example: let through to the original destination");
  EXPECT_EQ(engine->tracked_flows(), 0u);
  // Bytes of the allowed flow still in the queue are dropped (a retransmission meets the conntrack mark), not
  // accepted: a new connection on the same 5-tuple in the old window would pass unread. Empty packets pass, and
  // do not set the conntrack mark again (the flow did not start in a SYN).
  out.clear();
  const auto late = send(tls_seg(isn1 + static_cast<std::uint32_t>(ch.size()), Bytes(10, 1)), 0s, 0x5);
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, late, V::Drop, std::nullopt}}));
  out.clear();
  const auto late_ack = send(tls_seg(isn1 + static_cast<std::uint32_t>(ch.size()), {}));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, late_ack, V::Accept, std::nullopt}}));
  EXPECT_EQ(c.packets_late, 2u);
  // The same 5-tuple with another ISN (a new connection after an abortive close) is inspected afresh.
  out.clear();
  const Bytes denied = flight("openssl.tls.bin");
  const auto reuse = send(tls_seg(isn1 + 0x40000000u, denied));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, reuse, V::Repeat, kDeny}}));
}

TEST_F(EngineTest, ClientHelloOverSeveralRecordsEveryOffset) {
  const Bytes hs = testing::handshake_of(flight("chromium.tls.bin"));
  const Bytes ch = testing::rerecord(hs, {100, 700, 50});
  for (std::size_t cut = 1; cut < ch.size(); cut += 37) {
    out.clear();
    records.clear();
    const auto sport = static_cast<std::uint16_t>(20000 + cut);
    const auto a = send(tls_seg(1, slice(ch, 0, cut), sport));
    EXPECT_TRUE(out.empty()) << cut;
    const auto b = send(tls_seg(1 + static_cast<std::uint32_t>(cut), slice(ch, cut, ch.size()), sport));
    ASSERT_EQ(out.size(), 2u) << cut;
    EXPECT_EQ(out[0], (VerdictOut{100, a, V::Accept, std::nullopt, std::nullopt})) << cut;
    EXPECT_EQ(out[1], (VerdictOut{100, b, V::Accept, std::nullopt, ct_allow(sport)})) << cut;
  }
}

TEST_F(EngineTest, DeniedSniFirstPacketResetsTheRestDropped) {
  const Bytes ch = flight("openssl.tls.bin");  // SNI openssl.tls.example: no route
  const auto a = send(tls_seg(1, slice(ch, 0, 200)));
  const auto b = send(tls_seg(201, slice(ch, 200, ch.size())));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (VerdictOut{100, a, V::Repeat, kDeny}));
  EXPECT_EQ(out[1], (VerdictOut{100, b, V::Drop, std::nullopt}));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].host, "openssl.tls.example");
  EXPECT_EQ(records[0].verdict, FlowVerdict::Deny);
  EXPECT_EQ(c.flows_denied, 1u);
}

TEST_F(EngineTest, PlainHttpOnTlsPortDecidedByDefault) {
  const auto a = send(tls_seg(1, Bytes{'G', 'E', 'T', ' ', '/'}));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, a, V::Repeat, kDeny}}));
}

TEST_F(EngineTest, EmptyAckAcceptedAtOnceAndFinKeptBehindHeldData) {
  const auto ack = send(test::tcp("192.0.2.1", 40000, "203.0.113.10", 443).seq(1).ack(1));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, ack, V::Accept, std::nullopt}}));
  out.clear();
  const Bytes ch = flight("curl.tls.bin");
  const auto a = send(tls_seg(1, slice(ch, 0, 100)));
  const auto fin = send(test::tcp("192.0.2.1", 40000, "203.0.113.10", 443).seq(501).ack(1).fin());
  EXPECT_TRUE(out.empty());
  const auto b = send(tls_seg(101, slice(ch, 100, ch.size())));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].id, a);
  EXPECT_EQ(out[1].id, b);
  EXPECT_EQ(out[2].id, fin);
}

TEST_F(EngineTest, OverlapWithDifferentBytesDenies) {
  const Bytes ch = flight("curl.tls.bin");
  send(tls_seg(1, slice(ch, 0, 100)));
  Bytes evil = slice(ch, 50, 150);
  evil[10] ^= 0xff;
  send(tls_seg(51, evil));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].mark, kDeny);
  EXPECT_EQ(c.overlap_conflicts, 1u);
  EXPECT_EQ(c.flows_denied, 1u);
}

TEST_F(EngineTest, BoundsDenyAndCount) {
  EngineLimits l;
  l.reassembly.max_bytes = 1024;
  l.max_flows = 1;
  start(l);
  const Bytes ch = flight("chromium.tls.bin");  // larger than the 1 KiB window
  send(tls_seg(1, slice(ch, 0, 1000)));
  send(tls_seg(1, Bytes(10, 0x16), 40002));  // a second pending flow: over max_flows
  EXPECT_EQ(c.bound_pending_flows, 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].mark, kDeny);
  send(tls_seg(1001, slice(ch, 1000, 1400)));
  EXPECT_EQ(c.bound_bytes, 1u);
  EXPECT_EQ(out.size(), 3u);
  EXPECT_EQ(engine->tracked_flows(), 0u);
}

TEST_F(EngineTest, TimeoutDeniesHeldFlow) {
  const Bytes ch = flight("curl.tls.bin");
  const auto a = send(tls_seg(1, slice(ch, 0, 100)));
  engine->expire(t0 + 4s, out);
  EXPECT_TRUE(out.empty());
  engine->expire(t0 + 5s, out);
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, a, V::Repeat, kDeny}}));
  EXPECT_EQ(c.bound_timeout, 1u);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].reason.find("bound"), std::string::npos);
  engine->expire(t0 + 11s, out);
  EXPECT_EQ(engine->remembered_decisions(), 0u);
}

TEST_F(EngineTest, TcpFastOpenDataInSynInspected) {
  const Bytes ch = flight("curl.tls.bin");
  const auto syn = send(test::tcp("192.0.2.1", 40003, "203.0.113.10", 443).seq(999).syn().payload(ch));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, syn, V::Accept, std::nullopt, ct_allow(40003)}}));
  EXPECT_EQ(c.tfo_syn_data, 1u);
  // The SYN's conntrack entry is confirmed only after the SYN leaves, so its update finds none: the handshake's
  // ACK (sequence number exactly past the SYN's bytes) sets the mark, once; another empty packet does not.
  const auto end = 999u + 1 + static_cast<std::uint32_t>(ch.size());
  out.clear();
  const auto other = send(test::tcp("192.0.2.1", 40003, "203.0.113.10", 443).seq(end - 1).ack(1));
  const auto ack = send(test::tcp("192.0.2.1", 40003, "203.0.113.10", 443).seq(end).ack(1));
  const auto again = send(test::tcp("192.0.2.1", 40003, "203.0.113.10", 443).seq(end).ack(1));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, other, V::Accept, std::nullopt},
                                          {100, ack, V::Accept, std::nullopt, ct_allow(40003)},
                                          {100, again, V::Accept, std::nullopt}}));
}

TEST_F(EngineTest, HttpKeepAliveEveryRequestCheckedSecondDenied) {
  const std::string r1 = "GET /get HTTP/1.1\r\nHost: h.example\r\n\r\n";
  const std::string r2 = "POST /get/x HTTP/1.1\r\nHost: h.example\r\nContent-Length: 5\r\n\r\nhello";
  const std::string r3 = "GET /forbidden HTTP/1.1\r\nHost: h.example\r\n\r\n";
  const auto a = send(http_seg(1, r1));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, a, V::Accept, std::nullopt}}));
  out.clear();
  // The second request's head split at the body boundary; body in its own segment.
  const auto head2 = r2.substr(0, r2.size() - 5);
  const auto b = send(http_seg(1 + static_cast<std::uint32_t>(r1.size()), head2.substr(0, 10)));
  EXPECT_TRUE(out.empty());
  const auto b2 = send(http_seg(1 + static_cast<std::uint32_t>(r1.size() + 10), head2.substr(10)));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (VerdictOut{100, b, V::Accept, std::nullopt}));
  EXPECT_EQ(out[1], (VerdictOut{100, b2, V::Accept, std::nullopt}));
  out.clear();
  const auto body = send(http_seg(1 + static_cast<std::uint32_t>(r1.size() + head2.size()), "hello"));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, body, V::Accept, std::nullopt}}));
  out.clear();
  const auto d = send(http_seg(1 + static_cast<std::uint32_t>(r1.size() + r2.size()), r3));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, d, V::Repeat, kDeny}}));
  EXPECT_EQ(c.requests_checked, 3u);
  EXPECT_EQ(c.requests_denied, 1u);
  EXPECT_EQ(c.flows_allowed, 1u);
  EXPECT_EQ(c.flows_denied, 1u);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].path, "/forbidden");
  EXPECT_EQ(records[2].verdict, FlowVerdict::Deny);
}

TEST_F(EngineTest, HttpPipelinedDeniedRequestHoldsTheWholeSegment) {
  const std::string both = "GET /get HTTP/1.1\r\nHost: h\r\n\r\nGET /nope HTTP/1.1\r\nHost: h\r\n\r\n";
  const auto a = send(http_seg(1, both));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, a, V::Repeat, kDeny}}));
}

TEST_F(EngineTest, HttpRetransmissionOfPassedBytesPasses) {
  const std::string r1 = "GET /get HTTP/1.1\r\nHost: h\r\n\r\n";
  send(http_seg(1, r1));
  out.clear();
  const auto again = send(http_seg(1, r1));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, again, V::Accept, std::nullopt}}));
  out.clear();
  const auto fin = send(test::tcp("192.0.2.1", 40001, "203.0.113.10", 80).seq(1 + r1.size()).ack(1).fin());
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, fin, V::Accept, std::nullopt}}));
  EXPECT_EQ(engine->tracked_flows(), 0u);
}

TEST_F(EngineTest, HttpLargeBodyBeyondTheWindowPasses) {
  const std::string head = "POST /get HTTP/1.1\r\nHost: h\r\nContent-Length: 60000\r\n\r\n";
  send(http_seg(1, head));
  out.clear();
  const std::string body(60000, 'x');  // one GSO packet, larger than the 16 KiB window
  const auto g = send(http_seg(1 + static_cast<std::uint32_t>(head.size()), body));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, g, V::Accept, std::nullopt}}));
  out.clear();
  const auto n = send(http_seg(1 + static_cast<std::uint32_t>(head.size() + body.size()),
                               "GET /nope HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, n, V::Repeat, kDeny}}));
}

TEST_F(EngineTest, MalformedHttpDenies) {
  send(http_seg(1, "GET /get HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].mark, kDeny);
  EXPECT_EQ(c.parse_failures_http, 1u);
}

TEST_F(EngineTest, NewPolicyForNewFlowsOnly) {
  const Bytes ch = flight("curl.tls.bin");
  send(tls_seg(1, slice(ch, 0, 100)));
  engine->set_policy(compiled(R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: all, namespace: linkerd-egress}
spec: {trafficPolicy: Deny}
)"));
  send(tls_seg(101, slice(ch, 100, ch.size())));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], (VerdictOut{100, out[1].id, V::Accept, std::nullopt, ct_allow(40000)}))
      << "a pending flow finishes with the policy it started with";
  out.clear();
  send(tls_seg(1, ch, 40009));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].mark, kDeny) << "port 443 no longer inspected: the destination's verdict";
  EXPECT_EQ(c.matcher_swaps, 1u);
}

}  // namespace
}  // namespace nfegress::enforcer
