// policy/ip.hpp — layer: pure model. IP addresses and prefixes as 128-bit integers.
// IPv4 addresses are kept in the low 32 bits of a u128 with family V4; nothing here touches a socket.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nfegress::policy {

using u128 = unsigned __int128;

enum class Family : std::uint8_t { V4, V6 };

inline constexpr unsigned family_bits(Family f) { return f == Family::V4 ? 32u : 128u; }

struct IpAddr {
  Family family = Family::V4;
  u128 value = 0;  // host-order integer; for V4 only the low 32 bits are used
  friend bool operator==(const IpAddr&, const IpAddr&) = default;
};

// A prefix with host bits cleared (so `192.168.0.1/16` is stored as 192.168.0.0/16).
struct IpPrefix {
  Family family = Family::V4;
  u128 base = 0;
  std::uint8_t len = 0;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;

  // Inline: the compiler calls these for each of 100k CIDRs (partition, cluster-network overlap checks).
  u128 first() const { return base; }
  u128 size_minus_one() const {  // number of addresses - 1 (so ::/0 fits in 128 bits)
    const unsigned bits = family_bits(family);
    if (len >= bits) return 0;
    const unsigned host = bits - len;
    return host == 128 ? ~u128{0} : ((u128{1} << host) - 1);
  }
  u128 last() const { return base + size_minus_one(); }  // inclusive
  bool contains(const IpAddr& a) const { return a.family == family && a.value >= first() && a.value <= last(); }
  bool contains(const IpPrefix& p) const {  // same family and p inside *this
    return p.family == family && p.len >= len && p.first() >= first() && p.last() <= last();
  }
  bool intersects(const IpPrefix& p) const {
    return p.family == family && p.first() <= last() && first() <= p.last();
  }
};

// "10.0.0.1", "2001:db8::1". No brackets, no ports.
std::optional<IpAddr> parse_ip(std::string_view s);
// "10.0.0.0/8", bare IP (/32 or /128), host bits allowed and cleared.
std::optional<IpPrefix> parse_prefix(std::string_view s);

std::string format_ip(const IpAddr& a);
std::string format_ip(Family f, u128 v);
std::string format_prefix(const IpPrefix& p);
std::string format_u128(u128 v);  // decimal

// Network-order bytes (4 or 16) of an address, for netlink and nft.
std::array<std::uint8_t, 16> to_bytes(Family f, u128 v);

}  // namespace nfegress::policy
