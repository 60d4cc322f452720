// policy/compile_partition.cpp — layer: pure decision. See compile_partition.hpp. Must not: do per-address
// work (every step is per boundary), know about routes or the kernel.
#include "policy/compile_partition.hpp"

#include <algorithm>
#include <queue>
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
  if (older_than(a.meta, b.meta)) return true;
  if (older_than(b.meta, a.meta)) return false;
  return std::tie(a.meta.ns, a.meta.name) < std::tie(b.meta.ns, b.meta.name);
}

std::vector<AddrRange> flatten(std::vector<WeightedRange> ranges) {
  struct Event {
    u128 pos;
    std::uint32_t idx;
    bool add;
  };
  std::vector<Event> events;
  events.reserve(ranges.size() * 2);
  for (std::uint32_t i = 0; i < ranges.size(); ++i) {
    events.push_back({ranges[i].lo, i, true});
    // A range ending at the top of the address space has no end event (hi + 1 would overflow).
    if (ranges[i].hi != ~u128{0}) events.push_back({ranges[i].hi + 1, i, false});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.pos < b.pos; });

  // Min-heap of live ranges by (size, rank); ended ranges are removed lazily when they reach the top.
  auto worse = [&](std::uint32_t a, std::uint32_t b) {
    return std::tie(ranges[a].size_m1, ranges[a].rank) > std::tie(ranges[b].size_m1, ranges[b].rank);
  };
  std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, decltype(worse)> heap(worse);
  std::vector<bool> ended(ranges.size(), false);

  std::vector<AddrRange> out;
  std::size_t i = 0;
  while (i < events.size()) {
    const u128 pos = events[i].pos;
    for (; i < events.size() && events[i].pos == pos; ++i) {
      if (events[i].add) heap.push(events[i].idx);
      else ended[events[i].idx] = true;
    }
    while (!heap.empty() && ended[heap.top()]) heap.pop();
    if (heap.empty()) continue;
    const u128 hi = i < events.size() ? events[i].pos - 1 : ~u128{0};
    const std::uint32_t owner = ranges[heap.top()].owner;
    if (!out.empty() && out.back().network == owner && out.back().hi + 1 == pos) {
      out.back().hi = hi;
    } else {
      out.push_back(AddrRange{pos, hi, owner});
    }
  }
  return out;
}

}  // namespace nfegress::policy::detail
