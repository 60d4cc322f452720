// enforcer/packet.hpp — layer: pure decode. IPv4/IPv6 + TCP header decoding of a queued packet, bounds-checked
// (a GSO packet can be up to 64 KB; the IP total length is 0 for IPv4 GSO super-packets, handled). No sockets,
// no policy, no allocation: the payload span points into the caller's buffer.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "policy/ip.hpp"

namespace nfegress::enforcer {

namespace tcp_flag {
inline constexpr std::uint8_t Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20;
}

struct Packet {
  policy::IpAddr src;
  policy::IpAddr dst;
  std::uint8_t l4proto = 0;  // IPPROTO_TCP, IPPROTO_UDP, ...
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t urgent = 0;  // the urgent pointer (meaningful with tcp_flag::Urg)
  std::span<const std::uint8_t> payload;  // TCP or UDP payload (empty for other protocols)
  std::size_t l4_offset = 0, l4_end = 0;  // TCP: the segment's header and end in the L3 bytes (for its checksum)

  bool has(std::uint8_t f) const { return (flags & f) != 0; }
};

enum class DecodeStatus : std::uint8_t { Ok, Truncated, BadHeader, Fragment, NotIp };

std::string_view to_string(DecodeStatus s);

// Decodes an L3 packet as NFQUEUE delivers it (starting at the IP header). For UDP the ports and payload are
// filled too; for other non-TCP packets only the addresses and l4proto (and Ok is returned).
DecodeStatus decode_packet(std::span<const std::uint8_t> l3, Packet& out);

}  // namespace nfegress::enforcer
