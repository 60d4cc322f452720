// enforcer/wire.cpp — layer: pure. See wire.hpp.
#include "enforcer/wire.hpp"

#include <netinet/in.h>

namespace nfegress::enforcer {
namespace {

std::uint64_t sum_bytes(std::span<const std::uint8_t> b, std::uint64_t acc) {
  std::size_t i = 0;
  for (; i + 1 < b.size(); i += 2) acc += (std::uint32_t{b[i]} << 8) | b[i + 1];
  if (i < b.size()) acc += std::uint32_t{b[i]} << 8;
  return acc;
}

std::uint64_t sum_addr(const policy::IpAddr& a, std::uint64_t acc) {
  const int words = a.family == policy::Family::V4 ? 2 : 8;
  for (int i = 0; i < words; ++i) acc += static_cast<std::uint16_t>(a.value >> (16 * i));
  return acc;
}

std::uint16_t fold(std::uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc & 0xffff);
}

bool fits(std::span<const std::uint8_t> l3, const Packet& p) {
  return p.l4proto == IPPROTO_TCP && p.l4_offset + 20 <= p.l4_end && p.l4_end <= l3.size();
}

// Pseudo-header (RFC 793 / RFC 8200 8.1) plus the segment as it is in `seg`.
std::uint16_t checksum_of(std::span<const std::uint8_t> seg, const Packet& p) {
  std::uint64_t acc = sum_addr(p.src, 0);
  acc = sum_addr(p.dst, acc);
  acc += IPPROTO_TCP;
  acc += seg.size() & 0xffff;
  acc += seg.size() >> 16;
  return fold(sum_bytes(seg, acc));
}

}  // namespace

std::uint16_t tcp_checksum(std::span<const std::uint8_t> l3, const Packet& p) {
  if (!fits(l3, p)) return 0xffff;
  return checksum_of(l3.subspan(p.l4_offset, p.l4_end - p.l4_offset), p);
}

std::vector<std::uint8_t> wire_copy(std::span<const std::uint8_t> l3, const Packet& p) {
  if (!fits(l3, p)) return {};
  std::vector<std::uint8_t> out(l3.begin(), l3.end());
  std::uint8_t* check = out.data() + p.l4_offset + 16;
  check[0] = check[1] = 0;
  const std::uint16_t c =
      checksum_of(std::span<const std::uint8_t>(out.data() + p.l4_offset, p.l4_end - p.l4_offset), p);
  check[0] = static_cast<std::uint8_t>(c >> 8);
  check[1] = static_cast<std::uint8_t>(c);
  return out;
}

}  // namespace nfegress::enforcer
