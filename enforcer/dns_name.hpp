// enforcer/dns_name.hpp — layer: pure parsers (helper shared by the TLS and HTTP parsers).
// Checks and normalises a host name taken off the wire: lowercased, one trailing dot removed, labels of 1..63
// letters/digits/'-'/'_', at most 253 characters in all. Must not: allocate, throw, log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nfegress::enforcer {

inline constexpr std::size_t kMaxDnsName = 253;
inline constexpr std::size_t kMaxDnsLabel = 63;

// Writes the normalised name to out[0..cap) and returns its length, or 0 when `in` is not a valid name (or does
// not fit in cap). cap must be at least kMaxDnsName for every valid name to fit.
constexpr std::size_t normalize_dns_name(std::string_view in, char* out, std::size_t cap) {
  if (!in.empty() && in.back() == '.') in.remove_suffix(1);
  if (in.empty() || in.size() > kMaxDnsName || in.size() > cap) return 0;
  std::size_t label = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '.') {
      if (label == 0) return 0;  // empty label ("a..b", ".a")
      label = 0;
    } else {
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
        return 0;
      }
      if (++label > kMaxDnsLabel) return 0;
    }
    out[i] = c;
  }
  if (label == 0) return 0;  // "a.b.." (only one trailing dot is dropped)
  return in.size();
}

}  // namespace nfegress::enforcer
