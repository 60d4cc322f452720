// enforcer/wire.cpp — layer: pure. See wire.hpp.
#include "enforcer/wire.hpp"

#include <netinet/in.h>

#include <algorithm>

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
std::uint16_t checksum_of(std::span<const std::uint8_t> seg, const Packet& p, std::uint8_t proto = IPPROTO_TCP) {
  std::uint64_t acc = sum_addr(p.src, 0);
  acc = sum_addr(p.dst, acc);
  acc += proto;
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

namespace {

void set16(std::vector<std::uint8_t>& a, std::size_t at, std::size_t v) {
  a[at] = static_cast<std::uint8_t>(v >> 8);
  a[at + 1] = static_cast<std::uint8_t>(v);
}

// `a` is a TCP segment whose size changed (its header at p's offsets): IP length, IPv4 header checksum and TCP
// checksum made right.
void fix_lengths(std::vector<std::uint8_t>& a, const Packet& p) {
  if (p.src.family == policy::Family::V4) {
    const std::size_t ihl = static_cast<std::size_t>(a[0] & 0x0f) * 4;
    set16(a, 2, a.size());
    set16(a, 10, 0);
    set16(a, 10, fold(sum_bytes(std::span<const std::uint8_t>(a.data(), ihl), 0)));
  } else {
    set16(a, 4, a.size() - 40);
  }
  set16(a, p.l4_offset + 16, 0);
  set16(a, p.l4_offset + 16,
        checksum_of(std::span<const std::uint8_t>(a.data() + p.l4_offset, a.size() - p.l4_offset), p));
}

constexpr std::uint8_t kNotData = tcp_flag::Syn | tcp_flag::Fin | tcp_flag::Rst | tcp_flag::Urg;

}  // namespace

bool append_segment(std::vector<std::uint8_t>& a, std::span<const std::uint8_t> b, std::size_t max_size) {
  Packet pa, pb;
  if (decode_packet(a, pa) != DecodeStatus::Ok || decode_packet(b, pb) != DecodeStatus::Ok || !fits(a, pa) ||
      !fits(b, pb) || pa.l4_end != a.size())
    return false;
  if (!(pa.src == pb.src) || !(pa.dst == pb.dst) || pa.sport != pb.sport || pa.dport != pb.dport ||
      ((pa.flags | pb.flags) & kNotData) || pa.seq + static_cast<std::uint32_t>(pa.payload.size()) != pb.seq ||
      a.size() + pb.payload.size() > max_size || a.size() + pb.payload.size() > 0xffff)
    return false;
  a.insert(a.end(), pb.payload.begin(), pb.payload.end());
  a[pa.l4_offset + 13] |= pb.flags & tcp_flag::Psh;
  fix_lengths(a, pa);
  return true;
}

std::vector<std::vector<std::uint8_t>> split_segment(std::span<const std::uint8_t> wire, std::size_t max_size) {
  Packet p;
  if (decode_packet(wire, p) != DecodeStatus::Ok || !fits(wire, p) || p.l4_end != wire.size() ||
      (p.flags & kNotData) || p.payload.empty())
    return {};
  const auto head = static_cast<std::size_t>(p.payload.data() - wire.data());
  if (head >= max_size) return {};
  const std::size_t chunk = max_size - head;
  std::vector<std::vector<std::uint8_t>> out;
  for (std::size_t off = 0; off < p.payload.size(); off += chunk) {
    const std::size_t n = std::min(chunk, p.payload.size() - off);
    std::vector<std::uint8_t> a(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(head));
    a.insert(a.end(), p.payload.begin() + static_cast<std::ptrdiff_t>(off),
             p.payload.begin() + static_cast<std::ptrdiff_t>(off + n));
    const std::uint32_t seq = p.seq + static_cast<std::uint32_t>(off);
    set16(a, p.l4_offset + 4, seq >> 16);
    set16(a, p.l4_offset + 6, seq & 0xffff);
    if (off + n < p.payload.size()) a[p.l4_offset + 13] &= static_cast<std::uint8_t>(~tcp_flag::Psh);  // PSH: last
    fix_lengths(a, p);
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<std::uint8_t> udp_with_payload(std::span<const std::uint8_t> l3, const Packet& p,
                                           std::span<const std::uint8_t> payload) {
  const std::size_t head = p.l4_offset + 8;
  if (p.l4proto != IPPROTO_UDP || p.l4_end > l3.size() || head > p.l4_end || l3.empty()) return {};
  const std::size_t total = head + payload.size();
  if (total > 0xffff) return {};
  std::vector<std::uint8_t> out(l3.begin(), l3.begin() + static_cast<std::ptrdiff_t>(head));
  out.insert(out.end(), payload.begin(), payload.end());
  const auto put16 = [&out](std::size_t at, std::size_t v) {
    out[at] = static_cast<std::uint8_t>(v >> 8);
    out[at + 1] = static_cast<std::uint8_t>(v);
  };
  if (p.src.family == policy::Family::V4) {
    put16(2, total);
    put16(10, 0);
    put16(10, fold(sum_bytes(std::span<const std::uint8_t>(out.data(), static_cast<std::size_t>(out[0] & 0x0f) * 4), 0)));
  } else {
    put16(4, total - 40);
  }
  put16(p.l4_offset + 4, total - p.l4_offset);
  put16(p.l4_offset + 6, 0);
  std::uint16_t c = checksum_of(std::span<const std::uint8_t>(out.data() + p.l4_offset, total - p.l4_offset), p,
                                IPPROTO_UDP);
  if (c == 0) c = 0xffff;  // RFC 768: a computed 0 is sent as all ones (0 means "no checksum")
  put16(p.l4_offset + 6, c);
  return out;
}

}  // namespace nfegress::enforcer
