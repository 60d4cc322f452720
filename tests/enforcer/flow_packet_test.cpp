// tests/enforcer/flow_packet_test.cpp — IPv4/IPv6 + TCP decode: fields, options, extension headers, and every
// truncation of a valid packet is reported (never read past the end).
#include <gtest/gtest.h>

#include "enforcer/packet.hpp"
#include "flow_builder.hpp"

using nfegress::enforcer::decode_packet;
using nfegress::enforcer::DecodeStatus;
using nfegress::enforcer::Packet;
using nfegress::test::tcp;
namespace policy = nfegress::policy;

TEST(PacketDecode, Ipv4Tcp) {
  const auto b = tcp("192.0.2.1", 40000, "203.0.113.10", 443).seq(0xfffffff0u).ack(7).options(12).payload("hello").bytes();
  Packet p;
  ASSERT_EQ(decode_packet(b, p), DecodeStatus::Ok);
  EXPECT_EQ(p.src, *policy::parse_ip("192.0.2.1"));
  EXPECT_EQ(p.dst, *policy::parse_ip("203.0.113.10"));
  EXPECT_EQ(p.l4proto, 6);
  EXPECT_EQ(p.sport, 40000);
  EXPECT_EQ(p.dport, 443);
  EXPECT_EQ(p.seq, 0xfffffff0u);
  EXPECT_EQ(p.ack, 7u);
  EXPECT_TRUE(p.has(nfegress::enforcer::tcp_flag::Ack));
  EXPECT_FALSE(p.has(nfegress::enforcer::tcp_flag::Syn));
  ASSERT_EQ(p.payload.size(), 5u);
  EXPECT_EQ(std::string(p.payload.begin(), p.payload.end()), "hello");
}

TEST(PacketDecode, UrgentFlagAndPointer) {
  Packet p;
  const auto plain = tcp("192.0.2.1", 40000, "203.0.113.10", 80).seq(1).ack(7).payload("abc").bytes();
  ASSERT_EQ(decode_packet(plain, p), DecodeStatus::Ok);
  EXPECT_FALSE(p.has(nfegress::enforcer::tcp_flag::Urg));
  for (const auto& b : {tcp("192.0.2.1", 40000, "203.0.113.10", 80).seq(1).ack(7).urg(2).payload("abc").bytes(),
                        tcp("2001:db8::1", 40000, "2001:db8::10", 80).seq(1).ack(7).urg(2).payload("abc").bytes()}) {
    ASSERT_EQ(decode_packet(b, p), DecodeStatus::Ok);
    EXPECT_TRUE(p.has(nfegress::enforcer::tcp_flag::Urg));
    EXPECT_TRUE(p.has(nfegress::enforcer::tcp_flag::Ack));
    EXPECT_EQ(p.urgent, 2u);
    EXPECT_EQ(p.payload.size(), 3u);
  }
}

TEST(PacketDecode, Ipv6TcpWithExtensionHeader) {
  auto b = tcp("2001:db8:1::1", 40001, "2001:db8:ff::10", 80).seq(1).syn().payload("x").bytes();
  // Insert an 8-byte destination-options header after the fixed header.
  std::vector<std::uint8_t> ext = {6, 0, 1, 4, 0, 0, 0, 0};
  b[6] = 60;  // next header: dstopts
  b.insert(b.begin() + 40, ext.begin(), ext.end());
  const std::uint16_t plen = static_cast<std::uint16_t>(b.size() - 40);
  b[4] = static_cast<std::uint8_t>(plen >> 8);
  b[5] = static_cast<std::uint8_t>(plen);
  Packet p;
  ASSERT_EQ(decode_packet(b, p), DecodeStatus::Ok);
  EXPECT_EQ(p.dst, *policy::parse_ip("2001:db8:ff::10"));
  EXPECT_EQ(p.dport, 80);
  EXPECT_TRUE(p.has(nfegress::enforcer::tcp_flag::Syn));
  ASSERT_EQ(p.payload.size(), 1u);
}

TEST(PacketDecode, EveryTruncationIsReported) {
  for (const auto& b : {tcp("192.0.2.1", 1, "192.0.2.2", 2).payload("abc").bytes(),
                        tcp("2001:db8::1", 1, "2001:db8::2", 2).payload("abc").bytes()}) {
    for (std::size_t n = 0; n < b.size(); ++n) {
      std::vector<std::uint8_t> part(b.begin(), b.begin() + static_cast<long>(n));
      Packet p;
      EXPECT_NE(decode_packet(part, p), DecodeStatus::Ok) << n;
    }
  }
}

TEST(PacketDecode, GsoIpv4WithZeroTotalLengthUsesBuffer) {
  auto b = tcp("192.0.2.1", 1, "192.0.2.2", 2).payload(std::vector<std::uint8_t>(60000, 'a')).bytes();
  b[2] = b[3] = 0;
  Packet p;
  ASSERT_EQ(decode_packet(b, p), DecodeStatus::Ok);
  EXPECT_EQ(p.payload.size(), 60000u);
}

TEST(PacketDecode, FragmentsAndGarbage) {
  auto b = tcp("192.0.2.1", 1, "192.0.2.2", 2).payload("abc").bytes();
  b[6] = 0x20;  // more fragments
  Packet p;
  EXPECT_EQ(decode_packet(b, p), DecodeStatus::Fragment);
  b[6] = 0x40;
  b[32] = 0x10;  // data offset 4 words < 5
  EXPECT_EQ(decode_packet(b, p), DecodeStatus::BadHeader);
  std::vector<std::uint8_t> junk = {0x12, 0x34};
  EXPECT_EQ(decode_packet(junk, p), DecodeStatus::NotIp);
}
