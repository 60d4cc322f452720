// policy/compile_partition.cpp — layer: pure decision. See compile_partition.hpp. Must not: do per-address
// work (every step is per boundary), know about routes or the kernel.
#include "policy/compile_partition.hpp"

#include <algorithm>
#include <tuple>

namespace nfegress::policy::detail {

NetworkPieces network_pieces(const IpPrefix& cidr, const std::vector<IpPrefix>& excepts) {
  NetworkPieces out;
  out.family = cidr.family;
  std::vector<std::pair<u128, u128>> ex;
  for (const auto& e : excepts) {
    if (e.family != cidr.family || !cidr.intersects(e)) continue;
    ex.emplace_back(std::max(e.first(), cidr.first()), std::min(e.last(), cidr.last()));
  }
  std::sort(ex.begin(), ex.end());
  // Merge overlapping excepts so the count of removed addresses is exact.
  std::vector<std::pair<u128, u128>> merged;
  for (const auto& [lo, hi] : ex) {
    if (!merged.empty() && (lo <= merged.back().second || lo == merged.back().second + 1)) {
      merged.back().second = std::max(merged.back().second, hi);
    } else {
      merged.emplace_back(lo, hi);
    }
  }
  // removed = number of excepted addresses; compare "removed - 1" with size_minus_one to stay in 128 bits.
  u128 cursor = cidr.first();
  bool done = false;  // cursor passed cidr.last() (avoids overflow at the top of the space)
  u128 removed = 0;
  for (const auto& [lo, hi] : merged) {
    if (lo > cursor) out.pieces.emplace_back(cursor, lo - 1);
    removed += hi - lo + 1;  // a single except cannot be the whole v6 space unless it equals the cidr
    if (hi == cidr.last()) {
      done = true;
      break;
    }
    cursor = hi + 1;
  }
  if (!done) out.pieces.emplace_back(cursor, cidr.last());
  if (out.pieces.empty()) return out;
  out.size_m1 = cidr.size_minus_one() - removed;
  return out;
}

std::vector<NetworkPieces> effective_networks(const EgressNetwork& en, const std::vector<IpPrefix>& cluster) {
  std::vector<NetworkPieces> out;
  if (en.networks) {
    for (const auto& n : *en.networks) {
      auto p = network_pieces(n.cidr, n.except);
      if (!p.empty()) out.push_back(std::move(p));
    }
    return out;
  }
  for (Family f : {Family::V4, Family::V6}) {
    std::vector<IpPrefix> ex;
    for (const auto& c : cluster)
      if (c.family == f) ex.push_back(c);
    auto p = network_pieces(IpPrefix{f, 0, 0}, ex);
    if (!p.empty()) out.push_back(std::move(p));
  }
  return out;
}

bool candidate_before(const EgressNetwork& a, const EgressNetwork& b) {
  if (created_before(a.meta, b.meta)) return true;
  if (created_before(b.meta, a.meta)) return false;
  return std::tie(a.meta.ns, a.meta.name) < std::tie(b.meta.ns, b.meta.name);
}

std::vector<AddrRange> flatten(std::vector<WeightedRange> ranges) {
  // Sweep from low to high addresses. `live` is a binary heap (best = smallest (size, rank) on top) of the ranges
  // that started at or before `pos`; ranges that ended are dropped lazily when they reach the top. Each step
  // emits [pos, end] for the top range, where `end` is where it ends or the next range starts: every step either
  // pops a range or reaches a start, so the partition has O(n) pieces and the sweep costs O(n log n). The heap
  // holds values (no indirection) and nothing is allocated per step.
  std::sort(ranges.begin(), ranges.end(), [](const WeightedRange& a, const WeightedRange& b) { return a.lo < b.lo; });
  struct Live {
    u128 size_m1;
    u128 hi;
    std::uint32_t rank;
    std::uint32_t owner;
  };
  const auto worse = [](const Live& a, const Live& b) {
    return a.size_m1 != b.size_m1 ? a.size_m1 > b.size_m1 : a.rank > b.rank;
  };
  std::vector<Live> live;
  live.reserve(ranges.size());
  std::vector<AddrRange> out;
  out.reserve(ranges.size() * 2 + 1);

  std::size_t next = 0;
  u128 pos = 0;
  for (;;) {
    while (!live.empty() && live.front().hi < pos) {
      std::pop_heap(live.begin(), live.end(), worse);
      live.pop_back();
    }
    if (live.empty()) {
      if (next == ranges.size()) break;
      pos = ranges[next].lo;  // a gap: nothing owns the addresses before the next range
    }
    for (; next < ranges.size() && ranges[next].lo <= pos; ++next) {
      const WeightedRange& r = ranges[next];
      live.push_back(Live{r.size_m1, r.hi, r.rank, r.owner});
      std::push_heap(live.begin(), live.end(), worse);
    }
    const Live& top = live.front();
    u128 end = top.hi;
    // Here ranges[next].lo > pos, so lo - 1 >= pos: the top owns [pos, end] whatever starts later.
    if (next < ranges.size() && ranges[next].lo - 1 < end) end = ranges[next].lo - 1;
    if (!out.empty() && out.back().network == top.owner && out.back().hi + 1 == pos) {
      out.back().hi = end;
    } else {
      out.push_back(AddrRange{pos, end, top.owner});
    }
    if (end == ~u128{0}) break;  // the top of the IPv6 space: nothing can start after it
    pos = end + 1;
  }
  return out;
}

}  // namespace nfegress::policy::detail
