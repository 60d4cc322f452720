// enforcer/forged_reply.cpp — layer: pure packet building. See forged_reply.hpp. Byte offsets are those of RFC 791
// (IPv4), RFC 8200 (IPv6) and RFC 9293 (TCP); the TCP checksum covers the pseudo header of the family.
#include "enforcer/forged_reply.hpp"

#include <netinet/in.h>

#include "enforcer/packet.hpp"

namespace nfegress::enforcer {
namespace {

constexpr std::size_t kTcpHeader = 20, kIp4Header = 20, kIp6Header = 40;

void put16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xffff);
}
void put_addr(std::uint8_t* p, const policy::IpAddr& a) {
  const auto b = policy::to_bytes(a.family, a.value);
  const std::size_t n = a.family == policy::Family::V4 ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) p[i] = b[i];
}
// Sum of 16-bit big-endian words, not folded.
std::uint32_t add_words(std::uint32_t sum, const std::uint8_t* p, std::size_t len) {
  for (std::size_t i = 0; i + 1 < len; i += 2) sum += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
  if (len % 2) sum += static_cast<std::uint32_t>(p[len - 1] << 8);
  return sum;
}

}  // namespace

std::uint16_t internet_checksum(const std::uint8_t* bytes, std::size_t len, std::uint32_t sum) {
  std::uint64_t s = add_words(0, bytes, len);
  s += sum;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s & 0xffff);
}

std::vector<std::uint8_t> build_forged_reply(const ForgedReply& r) {
  return build_forged_segment(r, tcp_flag::Ack | tcp_flag::Psh | tcp_flag::Fin, kHttpDenyResponse);
}

std::vector<std::uint8_t> build_forged_segment(const ForgedReply& r, std::uint8_t flags, std::string_view payload) {
  const bool v4 = r.flow.dst.family == policy::Family::V4;
  const std::size_t ip_len = v4 ? kIp4Header : kIp6Header;
  const std::size_t tcp_len = kTcpHeader + payload.size();
  std::vector<std::uint8_t> out(ip_len + tcp_len, 0);
  std::uint8_t* ip = out.data();
  std::uint8_t* tcp = ip + ip_len;
  const std::size_t alen = v4 ? 4 : 16;
  if (v4) {
    ip[0] = 0x45;                                            // version 4, 5 words
    put16(ip + 2, static_cast<std::uint32_t>(out.size()));   // total length
    put16(ip + 6, 0x4000);                                   // don't fragment
    ip[8] = 64;                                              // TTL
    ip[9] = IPPROTO_TCP;
    put_addr(ip + 12, r.flow.dst);
    put_addr(ip + 16, r.flow.src);
    put16(ip + 10, internet_checksum(ip, kIp4Header));
  } else {
    ip[0] = 0x60;                                            // version 6, traffic class and flow label 0
    put16(ip + 4, static_cast<std::uint32_t>(tcp_len));      // payload length
    ip[6] = IPPROTO_TCP;
    ip[7] = 64;                                              // hop limit
    put_addr(ip + 8, r.flow.dst);
    put_addr(ip + 24, r.flow.src);
  }
  put16(tcp, r.flow.dport);
  put16(tcp + 2, r.flow.sport);
  put32(tcp + 4, r.seq);
  put32(tcp + 8, r.ack);
  tcp[12] = (kTcpHeader / 4) << 4;
  tcp[13] = flags;
  put16(tcp + 14, r.window);
  for (std::size_t i = 0; i < payload.size(); ++i) tcp[kTcpHeader + i] = static_cast<std::uint8_t>(payload[i]);
  // Pseudo header: both addresses, the protocol and the TCP length (the word layout sums alike for both families).
  const std::uint8_t* addrs = v4 ? ip + 12 : ip + 8;
  std::uint32_t pseudo = add_words(0, addrs, 2 * alen);
  pseudo += IPPROTO_TCP;
  pseudo += static_cast<std::uint32_t>(tcp_len);
  put16(tcp + 16, internet_checksum(tcp, tcp_len, pseudo));
  return out;
}

}  // namespace nfegress::enforcer
