// tests/enforcer/engine_anchor_test.cpp — the engine under the SYN-ACK anchor (issue 19; KernelOptions::
// syn_ack_anchor): the kernel queues the packet at the stream's start (the server's SYN-ACK recorded it) with the
// packet mark ALLOW and every other one with nfegress's bits cleared. Only an anchored packet starts a flow: a
// decoy at another sequence number ("gap", tests/attack/insertion.sh) is dropped unread, and a flow that stays
// unanchored is denied after the timeout. Accepted packets leave with the bits cleared.
#include <gtest/gtest.h>

#include <algorithm>

#include "enforcer/engine.hpp"
#include "engine_fixture.hpp"

namespace nfegress::enforcer {
namespace {

using namespace std::chrono_literals;
using test::kMarkAllow;
using test::kMarkDeny;
using test::kMarkMask;
using V = nfq::Verdict;

constexpr std::uint32_t kOther = 0x5;  // a bit of the client's own mark, outside nfegress's: kept

class EngineAnchorTest : public test_support::EngineFixture {
 protected:
  void SetUp() override {
    policy::KernelOptions k;
    k.syn_ack_anchor = true;
    start({}, k);
  }
  const VerdictOut* verdict_of(std::uint32_t id) const {
    auto it = std::find_if(out.begin(), out.end(), [id](const VerdictOut& v) { return v.id == id && !v.ct_only; });
    return it == out.end() ? nullptr : &*it;
  }
};

// The anchored segment starts the flow; its accept clears nfegress's bits and keeps the client's own.
TEST_F(EngineAnchorTest, TheAnchoredSegmentStartsTheFlowAndLeavesUnmarked) {
  const auto id = send(tls_seg(5001, flight("chromium.tls.bin")), 0s, kMarkAllow | kOther);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Allow);
  const VerdictOut* v = verdict_of(id);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->verdict, V::Accept);
  EXPECT_EQ(v->mark, std::optional<std::uint32_t>{kOther}) << "the anchor's bits must not leave with the packet";
  EXPECT_TRUE(v->ct) << "conntrack ALLOW";
  EXPECT_EQ(c.packets_unanchored, 0u);
}

// "gap": the attacker's allowed decoy sits past the stream's start, where its own forged handshake ACK would have
// put the start; the real (denied) first flight fills the gap afterwards. With the anchor the decoy is dropped
// unread (no flow, no decision), and the real bytes at the anchored start are what decides: denied.
TEST_F(EngineAnchorTest, AGapDecoyIsNeverReadAsTheStart) {
  const std::uint32_t isn1 = 9001;
  const Bytes decoy = flight("chromium.tls.bin");  // allowed SNI
  const Bytes real = flight("openssl.tls.bin");    // no route: denied
  // The forged handshake ACK is a payload-free segment: under the anchor the kernel keeps it (not queued); fed
  // here anyway, it changes nothing.
  send(test::tcp("192.0.2.1", 40000, "203.0.113.10", 443).seq(isn1 + 4096).ack(1), 0s, 0);
  out.clear();
  const auto d = send(tls_seg(isn1 + 4096, decoy), 0s, 0);
  ASSERT_NE(verdict_of(d), nullptr);
  EXPECT_EQ(verdict_of(d)->verdict, V::Drop);
  EXPECT_TRUE(records.empty()) << "the decoy was read";
  EXPECT_EQ(engine->tracked_flows(), 0u);
  EXPECT_EQ(c.packets_unanchored, 1u);
  out.clear();
  const auto r = send(tls_seg(isn1, real), 0s, kMarkAllow);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Deny);
  EXPECT_EQ(records[0].host, "openssl.tls.example");
  ASSERT_NE(verdict_of(r), nullptr);
  EXPECT_EQ(verdict_of(r)->verdict, V::Repeat);
  EXPECT_EQ(verdict_of(r)->mark, std::optional<std::uint32_t>{kMarkDeny});
  EXPECT_EQ(c.flows_allowed, 0u);
}

// A segment of a flow with no anchored start is dropped (the client sends its first segment again, anchored) and,
// still unanchored after the timeout, the flow is denied with a reason and counted as a bound.
TEST_F(EngineAnchorTest, AFlowThatStaysUnanchoredIsDeniedAfterTheTimeout) {
  const Bytes ch = flight("chromium.tls.bin");
  const auto a = send(tls_seg(7001, ch), 0s, 0);
  const auto b = send(tls_seg(7001, ch), 2s, 0);
  EXPECT_EQ(verdict_of(a)->verdict, V::Drop);
  EXPECT_EQ(verdict_of(b)->verdict, V::Drop);
  EXPECT_TRUE(records.empty());
  const auto d = send(tls_seg(7001, ch), limits.timeout + 1s, 0);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Deny);
  EXPECT_NE(records[0].reason.find("SYN-ACK anchor"), std::string::npos) << records[0].reason;
  EXPECT_EQ(verdict_of(d)->verdict, V::Repeat);
  EXPECT_EQ(c.bound_unanchored, 1u);
  EXPECT_EQ(c.flows_denied, 1u);
  EXPECT_EQ(c.packets_unanchored, 2u);
}

// The anchored retransmission after unanchored drops starts the flow as usual (the first segment was lost on
// the way to the queue, the second one came first).
TEST_F(EngineAnchorTest, TheAnchoredRetransmissionRecoversAfterUnanchoredDrops) {
  const Bytes ch = flight("chromium.tls.bin");
  const std::uint32_t isn1 = 3001;
  const auto b = send(tls_seg(isn1 + 1000, Bytes(ch.begin() + 1000, ch.end())), 0s, 0);
  EXPECT_EQ(verdict_of(b)->verdict, V::Drop);
  out.clear();
  send(tls_seg(isn1, Bytes(ch.begin(), ch.begin() + 1000)), 200ms, kMarkAllow);
  EXPECT_TRUE(records.empty());
  send(tls_seg(isn1 + 1000, Bytes(ch.begin() + 1000, ch.end())), 400ms, 0);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Allow);
  EXPECT_EQ(c.packets_unanchored, 1u);
  // Nothing is denied later for the drop that came before the anchor.
  std::vector<VerdictOut> tick;
  engine->expire(t0 + limits.timeout + 2s, tick);
  EXPECT_EQ(c.flows_denied, 0u);
}

// A SYN with data (TCP Fast Open) starts at its own sequence number: conntrack has no SYN-ACK yet, so no anchor.
TEST_F(EngineAnchorTest, ASynWithDataNeedsNoAnchor) {
  send(test::tcp("192.0.2.1", 40100, "203.0.113.10", 443).seq(100).syn().payload(flight("curl.tls.bin")), 0s, 0);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Allow);
  EXPECT_EQ(c.packets_unanchored, 0u);
}

// After an allow the conntrack mark follows the verdict; the server may answer the released flight (on another CPU)
// before it lands, and the client's next bytes are queued once more. Bytes past the decided ones are accepted (they
// were dropped, and the client resent them after its 200 ms retransmission timeout: the tail of issue 19's peers
// run); a retransmission of decided bytes is dropped; a packet anchored elsewhere is a new connection on the same
// 5-tuple and is inspected afresh (here: denied).
TEST_F(EngineAnchorTest, LateBytesAfterAnAllowPassAndANewAnchorIsInspected) {
  const Bytes ch = flight("curl.tls.bin");
  const std::uint32_t isn1 = 1001, end = isn1 + static_cast<std::uint32_t>(ch.size());
  send(tls_seg(isn1, ch), 0s, kMarkAllow);
  ASSERT_EQ(records.size(), 1u);
  ASSERT_EQ(records[0].verdict, FlowVerdict::Allow);
  out.clear();
  const auto next = send(tls_seg(end, Bytes(64, 0x17)), 0s, 0);
  ASSERT_NE(verdict_of(next), nullptr);
  EXPECT_EQ(verdict_of(next)->verdict, V::Accept) << "the connection's next bytes";
  EXPECT_FALSE(verdict_of(next)->ct);
  const auto again = send(tls_seg(isn1, ch), 0s, 0);
  EXPECT_EQ(verdict_of(again)->verdict, V::Drop) << "a retransmission of decided bytes";
  const auto own = send(tls_seg(isn1, ch), 0s, kMarkAllow);
  EXPECT_EQ(verdict_of(own)->verdict, V::Drop) << "the decided flow's own start, again";
  EXPECT_EQ(records.size(), 1u);
  const auto fresh = send(tls_seg(end + 100, flight("openssl.tls.bin")), 0s, kMarkAllow);
  ASSERT_EQ(records.size(), 2u) << "a new anchor on the 5-tuple is inspected";
  EXPECT_EQ(records[1].verdict, FlowVerdict::Deny);
  EXPECT_EQ(verdict_of(fresh)->verdict, V::Repeat);
}

}  // namespace
}  // namespace nfegress::enforcer
