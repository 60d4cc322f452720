// netfilter/address_maps.cpp — layer: pure rendering. See address_maps.hpp.
#include "netfilter/address_maps.hpp"

#include <algorithm>
#include <bit>

namespace nfegress::netfilter {
namespace {

Verdict go_network(std::uint32_t network, const std::string& prefix) {
  return {Verdict::Kind::Goto, network_chain(network, prefix)};
}

// The plan's ranges of one family with adjacent ranges of one network merged (the kernel's intervals).
std::vector<policy::AddrRange> merged_ranges(const policy::Plan& plan, policy::Family f) {
  const auto& ranges = f == policy::Family::V4 ? plan.v4 : plan.v6;
  std::vector<policy::AddrRange> out;
  out.reserve(ranges.size());
  for (const auto& r : ranges) {
    if (!out.empty() && out.back().network == r.network && out.back().hi + 1 == r.lo) out.back().hi = r.hi;
    else out.push_back(r);
  }
  return out;
}

}  // namespace

AddressMaps address_maps(const policy::Plan& plan, policy::Family f, std::size_t hash_map_min,
                         const std::string& prefix) {
  const bool v4 = f == policy::Family::V4;
  const KeyType k = v4 ? KeyType::Ipv4 : KeyType::Ipv6;
  const unsigned bits = v4 ? 32 : 128;
  const std::string comment = v4 ? "EgressNetwork IPv4 partition" : "EgressNetwork IPv6 partition";
  const auto ranges = merged_ranges(plan, f);
  // Pass 1: the prefix length of every range (0: not a prefix, or the whole space) and how many each length has.
  std::vector<unsigned char> len_of(ranges.size(), 0);
  std::vector<std::size_t> count(bits + 1, 0);
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    unsigned len = 0;
    if (element_is_prefix(k, Element{ranges[i].lo, ranges[i].hi, std::nullopt}, len) && len > 0) {
      len_of[i] = static_cast<unsigned char>(len);
      ++count[len];
    }
  }
  AddressMaps m;
  std::vector<int> slot(bits + 1, -1);  // prefix length -> index into hashed
  std::size_t hashed = 0;
  for (unsigned len = bits; len > 0; --len) {
    if (count[len] < hash_map_min) continue;
    slot[len] = static_cast<int>(m.hashed.size());
    Set h{hash_map_name(f, len, prefix), k, false, true, comment + " (/" + std::to_string(len) + ")", {}};
    h.elements.reserve(count[len]);
    h.size = hash_map_size(count[len]);
    m.hashed.push_back(std::move(h));
    m.hashed_len.push_back(len);
    hashed += count[len];
  }
  // Pass 2: every element straight into its map; a hash map's key is the prefix's first address.
  m.interval = {prefix + (v4 ? "dst4" : "dst6"), k, true, true, comment, {}};
  m.interval.elements.reserve(ranges.size() - hashed);
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const auto& r = ranges[i];
    const int to = slot[len_of[i]];
    if (to < 0) m.interval.elements.push_back({r.lo, r.hi, go_network(r.network, prefix)});
    else m.hashed[static_cast<std::size_t>(to)].elements.push_back({r.lo, r.lo, go_network(r.network, prefix)});
  }
  return m;
}

std::vector<Element> address_elements(const policy::Plan& plan, policy::Family f) {
  std::vector<Element> out;
  for (const auto& r : merged_ranges(plan, f)) out.push_back({r.lo, r.hi, go_network(r.network, {})});
  return out;
}

std::string hash_map_name(policy::Family f, unsigned prefix_len, const std::string& prefix) {
  return prefix + (f == policy::Family::V4 ? "dst4_" : "dst6_") + std::to_string(prefix_len);
}

// A quarter of headroom, so adding to the policy rarely needs a new map (a changed size replaces the table).
std::uint32_t hash_map_size(std::size_t elements) {
  return std::bit_ceil(static_cast<std::uint32_t>(std::max(elements + elements / 4, 2 * kHashMapMin)));
}

}  // namespace nfegress::netfilter
