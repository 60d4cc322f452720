// policy/ip.cpp — layer: pure model. Parsing and formatting of addresses; uses inet_pton/ntop only.
#include "policy/ip.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace nfegress::policy {
namespace {
u128 mask_for(Family f, unsigned len) {
  const unsigned bits = family_bits(f);
  if (len == 0) return 0;
  const u128 all = bits == 128 ? ~u128{0} : ((u128{1} << bits) - 1);
  const u128 host = len >= bits ? 0 : ((u128{1} << (bits - len)) - 1);
  return all & ~host;
}
}  // namespace

std::optional<IpAddr> parse_ip(std::string_view s) {
  if (s.empty() || s.size() > 45) return std::nullopt;
  char buf[64];
  s.copy(buf, s.size());
  buf[s.size()] = '\0';
  if (s.find(':') == std::string_view::npos) {
    in_addr a4{};
    if (inet_pton(AF_INET, buf, &a4) != 1) return std::nullopt;
    return IpAddr{Family::V4, u128{ntohl(a4.s_addr)}};
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, buf, &a6) != 1) return std::nullopt;
  u128 v = 0;
  for (unsigned char byte : a6.s6_addr) v = (v << 8) | byte;
  return IpAddr{Family::V6, v};
}

std::optional<IpPrefix> parse_prefix(std::string_view s) {
  const auto slash = s.find('/');
  const auto ip = parse_ip(s.substr(0, slash));
  if (!ip) return std::nullopt;
  unsigned len = family_bits(ip->family);
  if (slash != std::string_view::npos) {
    const auto digits = s.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    unsigned parsed = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
    if (ec != std::errc{} || ptr != digits.data() + digits.size()) return std::nullopt;
    if (parsed > family_bits(ip->family)) return std::nullopt;
    len = parsed;
  }
  return IpPrefix{ip->family, ip->value & mask_for(ip->family, len), static_cast<std::uint8_t>(len)};
}

std::array<std::uint8_t, 16> to_bytes(Family f, u128 v) {
  std::array<std::uint8_t, 16> out{};
  const unsigned n = f == Family::V4 ? 4 : 16;
  for (unsigned i = 0; i < n; ++i) out[n - 1 - i] = static_cast<std::uint8_t>(v >> (8 * i));
  return out;
}

std::string format_ip(Family f, u128 v) {
  char buf[INET6_ADDRSTRLEN] = {};
  const auto bytes = to_bytes(f, v);
  inet_ntop(f == Family::V4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string format_ip(const IpAddr& a) { return format_ip(a.family, a.value); }

std::string format_prefix(const IpPrefix& p) {
  return format_ip(p.family, p.base) + "/" + std::to_string(p.len);
}

std::string format_u128(u128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v != 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return s;
}

}  // namespace nfegress::policy
