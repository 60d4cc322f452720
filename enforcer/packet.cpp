// enforcer/packet.cpp — layer: pure decode. See packet.hpp. Every read goes through Cursor, which never reads
// past the end of the span.
#include "enforcer/packet.hpp"

#include <netinet/in.h>

#include <optional>

namespace nfegress::enforcer {
namespace {

class Cursor {
 public:
  explicit Cursor(std::span<const std::uint8_t> b) : b_(b) {}
  bool has(std::size_t off, std::size_t n) const { return off <= b_.size() && n <= b_.size() - off; }
  std::uint8_t u8(std::size_t off) const { return b_[off]; }
  std::uint16_t u16(std::size_t off) const { return static_cast<std::uint16_t>((b_[off] << 8) | b_[off + 1]); }
  std::uint32_t u32(std::size_t off) const {
    return (std::uint32_t{b_[off]} << 24) | (std::uint32_t{b_[off + 1]} << 16) | (std::uint32_t{b_[off + 2]} << 8) |
           std::uint32_t{b_[off + 3]};
  }
  policy::u128 u128_at(std::size_t off) const {
    policy::u128 v = 0;
    for (std::size_t i = 0; i < 16; ++i) v = (v << 8) | b_[off + i];
    return v;
  }
  std::span<const std::uint8_t> sub(std::size_t off, std::size_t n) const { return b_.subspan(off, n); }
  std::size_t size() const { return b_.size(); }

 private:
  std::span<const std::uint8_t> b_;
};

DecodeStatus decode_tcp(const Cursor& c, std::size_t off, std::size_t end, Packet& out) {
  if (!c.has(off, 20) || off + 20 > end) return DecodeStatus::Truncated;
  out.sport = c.u16(off);
  out.dport = c.u16(off + 2);
  out.seq = c.u32(off + 4);
  out.ack = c.u32(off + 8);
  const std::size_t doff = static_cast<std::size_t>(c.u8(off + 12) >> 4) * 4;
  out.flags = c.u8(off + 13);
  out.urgent = c.u16(off + 18);
  if (doff < 20) return DecodeStatus::BadHeader;
  if (off + doff > end) return DecodeStatus::Truncated;
  out.payload = c.sub(off + doff, end - off - doff);
  out.l4_offset = off;
  out.l4_end = end;
  return DecodeStatus::Ok;
}

DecodeStatus decode_l4(const Cursor& c, std::size_t off, std::size_t end, Packet& out) {
  if (out.l4proto == IPPROTO_TCP) return decode_tcp(c, off, end, out);
  if ((out.l4proto == IPPROTO_UDP) && c.has(off, 4) && off + 4 <= end) {
    out.sport = c.u16(off);
    out.dport = c.u16(off + 2);
    if (c.has(off, 8) && off + 8 <= end) {  // the datagram's payload (a DNS answer on the DNS answer queue)
      out.payload = c.sub(off + 8, end - off - 8);
      out.l4_offset = off;
      out.l4_end = end;
    }
  }
  return DecodeStatus::Ok;
}

DecodeStatus decode_v4(const Cursor& c, Packet& out) {
  if (!c.has(0, 20)) return DecodeStatus::Truncated;
  const std::size_t ihl = static_cast<std::size_t>(c.u8(0) & 0x0f) * 4;
  if (ihl < 20) return DecodeStatus::BadHeader;
  if (!c.has(0, ihl)) return DecodeStatus::Truncated;
  std::size_t total = c.u16(2);
  // A GSO super-packet larger than 64 KB carries tot_len 0; take the buffer length then.
  if (total == 0) total = c.size();
  if (total < ihl) return DecodeStatus::BadHeader;
  if (total > c.size()) return DecodeStatus::Truncated;
  const std::uint16_t frag = c.u16(6);
  out.l4proto = c.u8(9);
  out.src = {policy::Family::V4, c.u32(12)};
  out.dst = {policy::Family::V4, c.u32(16)};
  if ((frag & 0x1fff) != 0 || (frag & 0x2000) != 0) return DecodeStatus::Fragment;
  return decode_l4(c, ihl, total, out);
}

DecodeStatus decode_v6(const Cursor& c, Packet& out) {
  if (!c.has(0, 40)) return DecodeStatus::Truncated;
  std::size_t end = 40 + static_cast<std::size_t>(c.u16(4));
  if (c.u16(4) == 0) end = c.size();  // jumbogram / GSO: use the buffer
  if (end > c.size()) return DecodeStatus::Truncated;
  out.src = {policy::Family::V6, c.u128_at(8)};
  out.dst = {policy::Family::V6, c.u128_at(24)};
  std::uint8_t next = c.u8(6);
  std::size_t off = 40;
  // Walk extension headers (bounded: at most 8, each checked).
  for (int i = 0; i < 8; ++i) {
    switch (next) {
      case IPPROTO_HOPOPTS:
      case IPPROTO_ROUTING:
      case IPPROTO_DSTOPTS: {
        if (!c.has(off, 2) || off + 2 > end) return DecodeStatus::Truncated;
        const std::size_t len = (static_cast<std::size_t>(c.u8(off + 1)) + 1) * 8;
        next = c.u8(off);
        off += len;
        if (off > end) return DecodeStatus::Truncated;
        continue;
      }
      case IPPROTO_FRAGMENT:
        out.l4proto = next;
        return DecodeStatus::Fragment;
      default:
        out.l4proto = next;
        return decode_l4(c, off, end, out);
    }
  }
  return DecodeStatus::BadHeader;
}

}  // namespace

std::string_view to_string(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::Ok: return "ok";
    case DecodeStatus::Truncated: return "truncated";
    case DecodeStatus::BadHeader: return "bad_header";
    case DecodeStatus::Fragment: return "fragment";
    case DecodeStatus::NotIp: return "not_ip";
  }
  return "?";
}

DecodeStatus decode_packet(std::span<const std::uint8_t> l3, Packet& out) {
  out = Packet{};
  Cursor c(l3);
  if (!c.has(0, 1)) return DecodeStatus::Truncated;
  switch (c.u8(0) >> 4) {
    case 4: return decode_v4(c, out);
    case 6: return decode_v6(c, out);
    default: return DecodeStatus::NotIp;
  }
}

}  // namespace nfegress::enforcer
