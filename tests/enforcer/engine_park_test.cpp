// tests/enforcer/engine_park_test.cpp — issue 19, "no stall" (enforcer/engine_park.cpp): with a packet sender, a
// data segment of an undecided flow is parked (dropped in the kernel, its bytes kept, the client acknowledged);
// after an allow the copies are sent on and released, when they come back through the queue, with exactly the
// bytes read and before the conntrack mark; after a deny nothing parked is ever sent toward the server.
#include <gtest/gtest.h>

#include "enforcer/engine.hpp"
#include "enforcer/packet.hpp"
#include "enforcer/wire.hpp"
#include "engine_policy.hpp"
#include "flow_builder.hpp"
#include "test_data.hpp"

namespace nfegress::enforcer {
namespace {

using namespace std::chrono_literals;
using testing::Bytes;
using V = nfq::Verdict;
using test::kMarkAllow, test::kMarkDeny, test::kMarkMask;

constexpr std::uint32_t kIsn = 7001;  // the client's first data byte
const policy::IpAddr kClient = *policy::parse_ip("192.0.2.1");
const policy::IpAddr kServer = *policy::parse_ip("203.0.113.10");

using testing::flight;

class EngineParkTest : public ::testing::Test {
 protected:
  Counters c;
  std::unique_ptr<Engine> engine;
  std::vector<VerdictOut> out;
  std::vector<Bytes> sent;  // what the engine gave the packet sender
  std::vector<Bytes> keep;
  std::vector<DecisionRecord> records;
  Clock::time_point t0 = Clock::time_point{} + 1000s;
  std::uint32_t next_id = 1;

  void start(EngineLimits l = {}) {
    engine = std::make_unique<Engine>(test::compile_engine_policy(test::kEnginePolicy), "app", l, c);
    engine->set_decision_callback([this](const DecisionRecord& r) { records.push_back(r); });
    engine->set_packet_sender([this](std::span<const std::uint8_t> b) {
      sent.emplace_back(b.begin(), b.end());
      return true;
    });
  }
  void SetUp() override { start(); }
  std::uint32_t queue(Bytes b, Clock::duration at = 0s) {
    keep.push_back(std::move(b));
    engine->on_packet(QueuedPacket{100, next_id, 0, false, testing::span_of(keep.back())}, t0 + at, out);
    return next_id++;
  }
  std::uint32_t seg(std::uint32_t off, Bytes payload, std::uint16_t dport = 443, Clock::duration at = 0s) {
    return queue(test::tcp("192.0.2.1", 40000, "203.0.113.10", dport).seq(kIsn + off).ack(1).payload(std::move(payload))
                     .bytes(),
                 at);
  }
  void handshake_ack(std::uint16_t dport = 443) {
    queue(test::tcp("192.0.2.1", 40000, "203.0.113.10", dport).seq(kIsn).ack(1).bytes());
    out.clear();
  }
  // The packets sent toward the server (parked copies) and toward the client (ACK/RST), decoded.
  std::vector<Packet> sent_to(const policy::IpAddr& dst) const {
    std::vector<Packet> r;
    for (const Bytes& b : sent) {
      Packet p;
      EXPECT_EQ(decode_packet(b, p), DecodeStatus::Ok);
      if (p.dst == dst) r.push_back(p);
    }
    return r;
  }
  // The first 1,000 bytes of Chromium's ClientHello: held in the queue (no verdict), nothing sent.
  void expect_first_segment_held() {
    const Bytes ch = flight("tls", "chromium.tls.bin");
    handshake_ack();
    seg(0, slice(ch, 0, 1000));
    EXPECT_TRUE(out.empty()) << "held in the queue";
    EXPECT_TRUE(sent.empty());
  }
  static Bytes slice(const Bytes& b, std::size_t from, std::size_t to) {
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(to));
  }
};

TEST_F(EngineParkTest, AllowedFlightIsParkedAckedAndReleasedInOrderThroughItsCarriers) {
  const Bytes ch = flight("tls", "chromium.tls.bin");  // allowed, 1,928 bytes
  handshake_ack();
  const auto a = seg(0, slice(ch, 0, 1000));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, a, V::Drop, std::nullopt}})) << "parked: the kernel frees it";
  auto acks = sent_to(kClient);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].ack, kIsn + 1000) << "the client is acknowledged up to its contiguous bytes";
  EXPECT_EQ(acks[0].seq, 1u) << "at the server's next sequence number (the client's acknowledgement)";
  EXPECT_EQ(acks[0].flags, tcp_flag::Ack);
  out.clear();
  const auto retrans = seg(0, slice(ch, 0, 1000));  // a retransmission of parked bytes: dropped, not counted again
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, retrans, V::Drop, std::nullopt}}));
  EXPECT_EQ(sent_to(kClient).size(), 1u) << "no second ACK for the same bytes";
  out.clear();
  const auto b = seg(1000, slice(ch, 1000, 1400));
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, b, V::Drop, std::nullopt}}));
  EXPECT_EQ(c.packets_parked, 2u);
  EXPECT_GT(engine->parked_bytes(), 1400u);
  out.clear();
  const auto last = seg(1400, slice(ch, 1400, ch.size()));  // completes the ClientHello: allowed
  EXPECT_TRUE(out.empty()) << "the last segment waits for the parked copies";
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Allow);
  auto copies = sent_to(kServer);
  ASSERT_EQ(copies.size(), 2u);
  EXPECT_EQ(Bytes(copies[0].payload.begin(), copies[0].payload.end()), slice(ch, 0, 1000));
  EXPECT_EQ(Bytes(copies[1].payload.begin(), copies[1].payload.end()), slice(ch, 1000, 1400));
  const Bytes copy0 = sent[sent.size() - 2], copy1 = sent.back();
  EXPECT_EQ(tcp_checksum(copy0, copies[0]), 0u) << "a copy leaves with a complete TCP checksum";
  // A segment that is not one of the copies (other bytes at the same sequence numbers) waits for the release.
  Bytes forged = slice(ch, 0, 1000);
  forged[50] ^= 1;
  const auto f = seg(0, forged);
  EXPECT_TRUE(out.empty());
  const auto c1 = queue(copy1);  // the copies come back through the queue (any order)
  EXPECT_TRUE(out.empty());
  const auto c0 = queue(copy0);
  const CtMarkSet ct{FlowKey{kClient, kServer, 40000, 443}, kMarkMask, kMarkAllow};
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], (VerdictOut{100, c0, V::Accept, std::nullopt}));
  EXPECT_EQ(out[0].payload, copy0) << "the carrier leaves with the bytes read";
  EXPECT_EQ(out[1], (VerdictOut{100, c1, V::Accept, std::nullopt}));
  EXPECT_EQ(out[2], (VerdictOut{100, last, V::Accept, std::nullopt, ct})) << "then the last one, then the ct mark";
  EXPECT_EQ(out[3], (VerdictOut{100, f, V::Drop, std::nullopt})) << "then the other segment: late, dropped";
  EXPECT_EQ(c.packets_reinjected, 2u);
  EXPECT_EQ(engine->parked_bytes(), 0u);
  EXPECT_EQ(engine->tracked_flows(), 0u);
  out.clear();
  const auto dup = queue(copy0);  // a copy arriving again after the release: late, dropped
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, dup, V::Drop, std::nullopt}}));
  // 300 ms after the release the copies go out once more (the client will not resend acknowledged bytes).
  const std::size_t before = sent.size();
  out.clear();
  engine->expire(t0 + 200ms, out);
  EXPECT_EQ(sent.size(), before);
  engine->expire(t0 + 400ms, out);
  ASSERT_EQ(sent.size(), before + 2);
  EXPECT_EQ(sent[before], copy0);
  EXPECT_EQ(sent[before + 1], copy1);
  EXPECT_EQ(c.parked_resends, 2u);
  engine->expire(t0 + 2s, out);
  EXPECT_EQ(sent.size(), before + 2) << "once";
}

TEST_F(EngineParkTest, DeniedFlightSendsNothingTowardTheServer) {
  const Bytes ch = flight("tls", "openssl.tls.bin");  // openssl.tls.example: denied
  handshake_ack();
  for (std::size_t off = 0; off + 7 < ch.size(); off += 7) seg(static_cast<std::uint32_t>(off), slice(ch, off, off + 7));
  out.clear();
  const std::size_t tail = (ch.size() - 1) / 7 * 7;
  const auto last = seg(static_cast<std::uint32_t>(tail), slice(ch, tail, ch.size()));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Deny);
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, last, V::Repeat, kMarkDeny}})) << "the queued segment carries the DENY";
  EXPECT_TRUE(sent_to(kServer).empty()) << "no parked byte leaves";
  EXPECT_EQ(sent_to(kClient).back().ack, kIsn + tail);
  EXPECT_EQ(engine->parked_bytes(), 0u);
}

TEST_F(EngineParkTest, OneByteWritesAreJoinedIntoOneCopy) {
  const Bytes ch = flight("tls", "curl.tls.bin");  // allowed, 517 bytes
  handshake_ack();
  for (std::size_t i = 0; i + 1 < ch.size(); ++i) seg(static_cast<std::uint32_t>(i), slice(ch, i, i + 1));
  EXPECT_EQ(c.packets_parked, ch.size() - 1) << "more writes than the 64 segments the reassembly keeps apart";
  EXPECT_TRUE(records.empty());
  out.clear();
  const auto last = seg(static_cast<std::uint32_t>(ch.size() - 1), slice(ch, ch.size() - 1, ch.size()));
  const auto copies = sent_to(kServer);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(Bytes(copies[0].payload.begin(), copies[0].payload.end()), slice(ch, 0, ch.size() - 1));
  EXPECT_EQ(tcp_checksum(sent.back(), copies[0]), 0u);
  const auto carrier = queue(sent.back());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, carrier);
  EXPECT_EQ(out[1].id, last);
  EXPECT_TRUE(out[1].ct);
}

TEST_F(EngineParkTest, AParkedFlowThatTimesOutIsMarkedDenyAndReset) {
  const Bytes ch = flight("tls", "chromium.tls.bin");
  handshake_ack();
  seg(0, slice(ch, 0, 1000));
  out.clear();
  engine->expire(t0 + 6s, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].ct_only) << "no queued packet is left to carry the DENY mark";
  EXPECT_EQ(out[0].ct, (CtMarkSet{FlowKey{kClient, kServer, 40000, 443}, kMarkMask, kMarkDeny}));
  const auto to_client = sent_to(kClient);
  ASSERT_EQ(to_client.size(), 2u);
  EXPECT_EQ(to_client[1].flags, tcp_flag::Rst | tcp_flag::Ack);
  EXPECT_EQ(to_client[1].seq, 1u);
  EXPECT_TRUE(sent_to(kServer).empty());
  EXPECT_EQ(c.bound_timeout, 1u);
}

TEST_F(EngineParkTest, HttpRequestWrittenInPiecesIsReleasedAndTheConnectionStaysInspected) {
  const std::string text = "GET /get/x HTTP/1.1\r\nHost: httpbin.org\r\nUser-Agent: small-writes\r\n\r\n";
  const Bytes head(text.begin(), text.end());  // route get-only: paths under /get on port 80
  handshake_ack(80);
  const std::size_t tail = (head.size() - 1) / 7 * 7;
  for (std::size_t off = 0; off < tail; off += 7) seg(static_cast<std::uint32_t>(off), slice(head, off, off + 7), 80);
  EXPECT_EQ(c.packets_parked, tail / 7);
  out.clear();
  const auto last = seg(static_cast<std::uint32_t>(tail), slice(head, tail, head.size()), 80);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Allow);
  const auto copies = sent_to(kServer);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(Bytes(copies[0].payload.begin(), copies[0].payload.end()), slice(head, 0, tail));
  EXPECT_TRUE(out.empty());
  const auto carrier = queue(sent.back());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (VerdictOut{100, carrier, V::Accept, std::nullopt}));
  EXPECT_EQ(out[1], (VerdictOut{100, last, V::Accept, std::nullopt})) << "no ct mark: the next request is read too";
  EXPECT_EQ(engine->tracked_flows(), 1u);
  // The next request, denied (path /post), written in pieces too: parked, then denied; nothing of it leaves.
  const std::string next = "GET /post HTTP/1.1\r\nHost: httpbin.org\r\n\r\n";
  const auto n0 = static_cast<std::uint32_t>(head.size());
  out.clear();
  sent.clear();
  seg(n0, Bytes(next.begin(), next.begin() + 10), 80);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].verdict, V::Drop);
  out.clear();
  const auto deny = seg(n0 + 10, Bytes(next.begin() + 10, next.end()), 80);
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, deny, V::Repeat, kMarkDeny}}));
  EXPECT_TRUE(sent_to(kServer).empty());
}

TEST_F(EngineParkTest, PacketsArrivingWhileTheCopiesAreOutAreReadAfterTheRelease) {
  const std::string text = "GET /get/x HTTP/1.1\r\nHost: httpbin.org\r\n\r\n";
  const Bytes head(text.begin(), text.end());
  handshake_ack(80);
  seg(0, slice(head, 0, 10), 80);
  out.clear();
  const auto last = seg(10, slice(head, 10, head.size()), 80);  // allowed: the copy goes out
  ASSERT_EQ(sent_to(kServer).size(), 1u);
  const Bytes copy = sent.back();
  // The next request (denied) arrives before the copy is back: nothing is decided about it yet.
  const std::string next = "GET /post HTTP/1.1\r\nHost: httpbin.org\r\n\r\n";
  const auto n = seg(static_cast<std::uint32_t>(head.size()), Bytes(next.begin(), next.end()), 80);
  EXPECT_TRUE(out.empty());
  const auto carrier = queue(copy);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], (VerdictOut{100, carrier, V::Accept, std::nullopt}));
  EXPECT_EQ(out[1], (VerdictOut{100, last, V::Accept, std::nullopt}));
  EXPECT_EQ(out[2], (VerdictOut{100, n, V::Repeat, kMarkDeny})) << "then the next request is read, and denied";
  EXPECT_EQ(engine->tracked_flows(), 0u);
}

TEST_F(EngineParkTest, ASegmentThatAlsoStartsTheNextRequestIsParkedAfterTheRelease) {
  const std::string a = "GET /get/a HTTP/1.1\r\nHost: httpbin.org\r\n\r\n";
  const std::string b = "GET /get/b HTTP/1.1\r\nHost: httpbin.org\r\n\r\n";
  const std::string both = a + b;
  const auto at = [&](std::size_t from, std::size_t to) { return Bytes(both.begin() + from, both.begin() + to); };
  handshake_ack(80);
  seg(0, at(0, 10), 80);
  out.clear();
  const auto s = seg(10, at(10, a.size() + 5), 80);  // the end of request a, the start of request b
  ASSERT_EQ(sent_to(kServer).size(), 1u);
  const auto ca = queue(sent.back());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (VerdictOut{100, ca, V::Accept, std::nullopt}));
  EXPECT_EQ(out[1], (VerdictOut{100, s, V::Drop, std::nullopt})) << "then parked: it would cork the next writes";
  out.clear();
  const auto c = seg(static_cast<std::uint32_t>(a.size() + 5), at(a.size() + 5, both.size()), 80);  // b allowed
  ASSERT_EQ(sent_to(kServer).size(), 2u);
  const Bytes copy_s = sent.back();
  EXPECT_TRUE(out.empty());
  const auto cs = queue(copy_s);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (VerdictOut{100, cs, V::Accept, std::nullopt}));
  EXPECT_EQ(out[0].payload, copy_s);
  EXPECT_EQ(out[1], (VerdictOut{100, c, V::Accept, std::nullopt}));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].verdict, FlowVerdict::Allow);
}

TEST_F(EngineParkTest, AGsoPacketIsParkedAsSegmentsThatFitThePath) {
  const std::string head = "GET /get/x HTTP/1.1\r\nHost: httpbin.org\r\nX-Pad: " + std::string(3000, 'p') + "\r\n";
  handshake_ack(80);
  keep.push_back(test::tcp("192.0.2.1", 40000, "203.0.113.10", 80).seq(kIsn).ack(1).options(12).payload(head).bytes());
  const auto big = next_id++;
  engine->on_packet(QueuedPacket{100, big, 0, false, testing::span_of(keep.back()), true}, t0, out);
  EXPECT_EQ(out, (std::vector<VerdictOut>{{100, big, V::Drop, std::nullopt}})) << "a GSO packet is parked too";
  EXPECT_EQ(sent_to(kClient).back().ack, kIsn + head.size());
  out.clear();
  const auto last = seg(static_cast<std::uint32_t>(head.size()), Bytes{'\r', '\n'}, 80);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Allow);
  const auto copies = sent_to(kServer);
  ASSERT_EQ(copies.size(), 3u) << "about 3 KB in segments of at most 1,280 bytes";
  std::string joined;
  std::uint32_t next = kIsn;
  for (std::size_t i = 0; i < copies.size(); ++i) {
    const Bytes& wire = sent[sent.size() - copies.size() + i];
    EXPECT_LE(wire.size(), 1280u);
    EXPECT_EQ(tcp_checksum(wire, copies[i]), 0u);
    EXPECT_EQ(copies[i].seq, next);
    next += static_cast<std::uint32_t>(copies[i].payload.size());
    joined.append(copies[i].payload.begin(), copies[i].payload.end());
  }
  EXPECT_EQ(joined, head) << "the pieces hold exactly the packet's bytes, in order";
  const std::size_t n = copies.size();
  for (std::size_t i = 0; i < n; ++i) queue(sent[sent.size() - n + i]);
  ASSERT_EQ(out.size(), n + 1);
  EXPECT_EQ(out[n].id, last);
}

TEST_F(EngineParkTest, WithoutASenderOrBeyondTheBoundSegmentsAreHeldAsBefore) {
  EngineLimits l;
  l.max_parked_bytes = 100;
  start(l);
  expect_first_segment_held();
  EXPECT_EQ(c.park_bound, 1u);
}

// A family the sender cannot send (node mode on a host without an IPv4 or IPv6 raw socket) holds, as before: no
// NF_DROP, no ACK, nothing parked (the copies and ACKs could not go out).
TEST_F(EngineParkTest, AFamilyTheSenderCannotSendIsHeld) {
  engine->set_packet_sender([this](std::span<const std::uint8_t> b) {
    sent.emplace_back(b.begin(), b.end());
    return true;
  }, false, true);
  expect_first_segment_held();
  EXPECT_EQ(c.packets_parked, 0u);
}

}  // namespace
}  // namespace nfegress::enforcer
