// tests/enforcer/wire_test.cpp — what an accepted packet leaves with: the bytes the enforcer read, with a TCP
// checksum that verifies (IPv4 and IPv6), carried in the verdict as NFQA_PAYLOAD; and the engine attaches them
// to every packet it accepts after reading it, so pages rewritten later (sendfile, MSG_ZEROCOPY) never leave.
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include <cstring>

#include "enforcer/engine.hpp"
#include "enforcer/nfq_msg.hpp"
#include "enforcer/wire.hpp"
#include "engine_policy.hpp"
#include "flow_builder.hpp"

namespace nfegress::enforcer {
namespace {

using namespace std::chrono_literals;

// Issue 19: parked copies are joined (adjacent writes) and cut (a GSO packet) without changing a stream byte.
TEST(Wire, SegmentsJoinAndSplitKeepingTheStreamAndChecksums) {
  for (const char* src : {"192.0.2.1", "2001:db8:1::1"}) {
    const bool v6 = std::strchr(src, ':') != nullptr;
    const char* dst = v6 ? "2001:db8:ff::10" : "203.0.113.10";
    const std::string text(2500, 'x');
    auto seg = [&](std::uint32_t seq, std::string_view s) {
      auto b = test::tcp(src, 40000, dst, 443).seq(seq).ack(9).options(12).payload(s).bytes();
      Packet p;
      EXPECT_EQ(decode_packet(b, p), DecodeStatus::Ok);
      return wire_copy(b, p);
    };
    auto a = seg(100, "abc");
    ASSERT_TRUE(append_segment(a, seg(103, "defg"), 1280)) << src;
    EXPECT_FALSE(append_segment(a, seg(200, "gap"), 1280)) << "not the next byte";
    EXPECT_FALSE(append_segment(a, seg(107, text), 1280)) << "too large";
    Packet p;
    ASSERT_EQ(decode_packet(a, p), DecodeStatus::Ok);
    EXPECT_EQ(std::string(p.payload.begin(), p.payload.end()), "abcdefg");
    EXPECT_EQ(tcp_checksum(a, p), 0) << src;
    const auto pieces = split_segment(seg(1000, text), 1280);
    ASSERT_EQ(pieces.size(), 3u) << src;
    std::string joined;
    std::uint32_t next = 1000;
    for (const auto& w : pieces) {
      Packet q;
      ASSERT_EQ(decode_packet(w, q), DecodeStatus::Ok);
      EXPECT_LE(w.size(), 1280u);
      EXPECT_EQ(tcp_checksum(w, q), 0) << src;
      EXPECT_EQ(q.seq, next);
      next += static_cast<std::uint32_t>(q.payload.size());
      joined.append(q.payload.begin(), q.payload.end());
    }
    EXPECT_EQ(joined, text);
    EXPECT_TRUE(split_segment(seg(1, "x"), 40).empty()) << "the header alone does not fit";
  }
}

TEST(Wire, CopyCarriesAChecksumThatVerifies) {
  for (const char* src : {"192.0.2.1", "2001:db8:1::1"}) {
    const bool v6 = std::strchr(src, ':') != nullptr;
    auto bytes = test::tcp(src, 40000, v6 ? "2001:db8:ff::10" : "203.0.113.10", 443)
                     .seq(7).ack(9).payload(std::string("hello, odd length"))
                     .bytes();
    Packet p;
    ASSERT_EQ(decode_packet(bytes, p), DecodeStatus::Ok);
    // A locally sent packet carries only the pseudo-header sum: make the field wrong on purpose.
    bytes[p.l4_offset + 16] ^= 0x5a;
    ASSERT_NE(tcp_checksum(bytes, p), 0) << src;
    const auto wire = wire_copy(bytes, p);
    ASSERT_EQ(wire.size(), bytes.size());
    EXPECT_EQ(tcp_checksum(wire, p), 0) << src;
    EXPECT_TRUE(std::equal(wire.begin() + static_cast<std::ptrdiff_t>(p.l4_offset) + 20, wire.end(),
                           bytes.begin() + static_cast<std::ptrdiff_t>(p.l4_offset) + 20))
        << "only the checksum changes";
  }
}

TEST(Wire, VerdictCarriesThePayloadAttribute) {
  std::vector<std::uint8_t> payload(1501, 0xab);
  std::vector<std::uint8_t> buf;
  nfq::append_verdict(buf, 100, 77, nfq::Verdict::Accept, std::nullopt, 5, payload);
  std::vector<std::uint8_t> copy(buf);
  auto* nlh = reinterpret_cast<nlmsghdr*>(copy.data());
  ASSERT_EQ(nlh->nlmsg_len, copy.size());
  const nlattr* found = nullptr;
  ASSERT_EQ(mnl_attr_parse(
                nlh, sizeof(nfgenmsg),
                [](const nlattr* a, void* data) {
                  if (mnl_attr_get_type(a) == NFQA_PAYLOAD) *static_cast<const nlattr**>(data) = a;
                  return MNL_CB_OK;
                },
                &found),
            MNL_CB_OK);
  ASSERT_NE(found, nullptr);
  ASSERT_EQ(mnl_attr_get_payload_len(found), payload.size());
  EXPECT_EQ(std::memcmp(mnl_attr_get_payload(found), payload.data(), payload.size()), 0);
}

TEST(Wire, EngineAcceptsWithTheBytesItRead) {
  Counters c;
  Engine engine(test::compile_engine_policy(test::kEnginePolicy), "app", {}, c);
  std::vector<VerdictOut> out;
  const std::string req = "GET /get HTTP/1.1\r\nHost: h.example\r\n\r\n";
  auto bytes = test::tcp("192.0.2.1", 40001, "203.0.113.10", 80).seq(1).ack(1).payload(req).bytes();
  engine.on_packet({100, 1, 0, false, std::span<const std::uint8_t>(bytes)}, Clock::time_point{} + 1s, out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].verdict, nfq::Verdict::Accept);
  Packet p;
  ASSERT_EQ(decode_packet(bytes, p), DecodeStatus::Ok);
  EXPECT_EQ(out[0].payload, wire_copy(bytes, p)) << "the request as read, not what the pages hold later";
}

}  // namespace
}  // namespace nfegress::enforcer
