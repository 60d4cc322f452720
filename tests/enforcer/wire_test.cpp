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
