// tests/enforcer/forged_reply_test.cpp — the forged 403 segment: parsed back with the enforcer's own decoder
// (addresses and ports swapped, sequence numbers, flags, payload), both checksums verified by an independent
// one's-complement sum over the bytes (pseudo header built here), for IPv4 and IPv6; the checksum routine against
// a published example.
#include <gtest/gtest.h>

#include <string>

#include "enforcer/forged_reply.hpp"
#include "enforcer/packet.hpp"

namespace nfegress::enforcer {
namespace {

FlowKey key(const char* client, std::uint16_t cport, const char* server, std::uint16_t sport) {
  return FlowKey{*policy::parse_ip(client), *policy::parse_ip(server), cport, sport};
}

// One's-complement sum with the carry added back after every word; a correct packet sums to 0xffff.
std::uint16_t ones_sum(const std::vector<std::uint8_t>& b) {
  std::uint32_t s = 0;
  for (std::size_t i = 0; i < b.size(); i += 2) {
    s += static_cast<std::uint32_t>(b[i] << 8) + (i + 1 < b.size() ? b[i + 1] : 0u);
    s = (s & 0xffff) + (s >> 16);
  }
  return static_cast<std::uint16_t>(s);
}

// The TCP segment prefixed with its pseudo header (RFC 793 for IPv4, RFC 8200 section 8.1 for IPv6).
std::vector<std::uint8_t> with_pseudo_header(const std::vector<std::uint8_t>& pkt) {
  const bool v4 = (pkt[0] >> 4) == 4;
  const std::size_t ip_len = v4 ? 20 : 40, alen = v4 ? 4 : 16, tcp_len = pkt.size() - ip_len;
  std::vector<std::uint8_t> out(pkt.begin() + (v4 ? 12 : 8), pkt.begin() + (v4 ? 12 : 8) + 2 * static_cast<long>(alen));
  if (v4) {
    out.insert(out.end(), {0, 6, static_cast<std::uint8_t>(tcp_len >> 8), static_cast<std::uint8_t>(tcp_len)});
  } else {
    out.insert(out.end(),
               {0, 0, static_cast<std::uint8_t>(tcp_len >> 8), static_cast<std::uint8_t>(tcp_len), 0, 0, 0, 6});
  }
  out.insert(out.end(), pkt.begin() + static_cast<long>(ip_len), pkt.end());
  return out;
}

void expect_reply(const ForgedReply& r, std::size_t ip_len) {
  const auto pkt = build_forged_reply(r);
  ASSERT_EQ(pkt.size(), ip_len + 20 + kHttpDenyResponse.size());
  Packet p;
  ASSERT_EQ(decode_packet(pkt, p), DecodeStatus::Ok);
  EXPECT_EQ(p.l4proto, 6);
  EXPECT_EQ(p.src, r.flow.dst);
  EXPECT_EQ(p.dst, r.flow.src);
  EXPECT_EQ(p.sport, r.flow.dport);
  EXPECT_EQ(p.dport, r.flow.sport);
  EXPECT_EQ(p.seq, r.seq);
  EXPECT_EQ(p.ack, r.ack);
  EXPECT_EQ(p.flags, tcp_flag::Ack | tcp_flag::Psh | tcp_flag::Fin);
  EXPECT_EQ(std::string(p.payload.begin(), p.payload.end()), kHttpDenyResponse);
  EXPECT_EQ((pkt[ip_len + 14] << 8) | pkt[ip_len + 15], r.window);
  EXPECT_EQ(ones_sum(with_pseudo_header(pkt)), 0xffff) << "TCP checksum";
  if (ip_len == 20) {
    EXPECT_EQ(ones_sum({pkt.begin(), pkt.begin() + 20}), 0xffff) << "IPv4 header checksum";
    EXPECT_EQ(pkt[8], 64);  // TTL
  } else {
    EXPECT_EQ(pkt[7], 64);  // hop limit
  }
}

TEST(ForgedReply, ResponseText) {
  const auto body = kHttpDenyResponse.substr(kHttpDenyResponse.find("\r\n\r\n") + 4);
  EXPECT_EQ(body, "traffic not allowed\n");
  EXPECT_NE(kHttpDenyResponse.find("content-length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  EXPECT_TRUE(kHttpDenyResponse.starts_with("HTTP/1.1 403 Forbidden\r\n"));
}

TEST(ForgedReply, Ipv4) {
  expect_reply({key("192.0.2.7", 40000, "203.0.113.10", 80), 0x12345678u, 0x9abcdef0u}, 20);
}

TEST(ForgedReply, Ipv6) {
  expect_reply({key("2001:db8:1::7", 40000, "2001:db8:ff::10", 8080), 0xfffffff0u, 1u, 1024}, 40);
}

TEST(ForgedReply, ChecksumsCoverEveryField) {
  // Other addresses, ports and sequence numbers give other, still valid, checksums.
  for (std::uint32_t seq : {0u, 1u, 0x80000000u, 0xffffffffu}) {
    expect_reply({key("198.51.100.200", 65535, "192.0.2.1", 1), seq, ~seq}, 20);
    expect_reply({key("2001:db8::ffff", 1, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 65535), seq, seq + 7}, 40);
  }
}

TEST(ForgedReply, InternetChecksumKnownValue) {
  // An IPv4 header with a zero checksum field; its checksum is 0xb861 (the well-known RFC 1071 worked example).
  const std::uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                            0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(internet_checksum(h, sizeof h), 0xb861);
  const std::uint8_t odd[] = {0x01};  // an odd byte is padded with zero: ~0x0100
  EXPECT_EQ(internet_checksum(odd, 1), 0xfeff);
}

}  // namespace
}  // namespace nfegress::enforcer
