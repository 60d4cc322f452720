// policy/compile_partition.hpp — layer: pure decision (compiler internals; the rule is docs/policy-reference.md,
// "Which client sees which EgressNetwork").
// Turns the networks of the candidate EgressNetworks into one disjoint, sorted interval partition per address
// family. Used by compile.cpp, explain, the differential test and the benchmark. Must not: know about routes,
// ports or the kernel.
#pragma once
#include <cstdint>
#include <vector>

#include "policy/ip.hpp"
#include "policy/model.hpp"
#include "policy/plan.hpp"

namespace nfegress::policy::detail {

// One contiguous piece of one network of one candidate. `size_m1` is the network's size minus one (exact
// 128-bit count of cidr addresses minus except addresses); `rank` orders candidates by the tie-breaks
// (older, then namespace, then name; lower wins); `owner` is the index the partition reports.
struct WeightedRange {
  u128 lo = 0;
  u128 hi = 0;  // inclusive
  u128 size_m1 = 0;
  std::uint32_t rank = 0;
  std::uint32_t owner = 0;
};

// A network reduced to what the owner rule needs: the pieces of cidr minus excepts and the exact size.
struct NetworkPieces {
  Family family = Family::V4;
  u128 size_m1 = 0;
  std::vector<std::pair<u128, u128>> pieces;  // disjoint, sorted, inclusive
  bool empty() const { return pieces.empty(); }
};

// cidr minus excepts (excepts outside the cidr or of the other family are ignored; overlapping excepts are
// merged, so the count stays exact). Empty when the excepts cover the whole cidr.
NetworkPieces network_pieces(const IpPrefix& cidr, const std::vector<IpPrefix>& excepts);

// The networks an EgressNetwork captures: its own, or when `networks` is absent 0.0.0.0/0 and ::/0 each minus
// the cluster networks of its family.
std::vector<NetworkPieces> effective_networks(const EgressNetwork& en, const std::vector<IpPrefix>& cluster);

// Sweep over the ranges sorted by start with a min-heap keyed by (size_m1, rank): O(n log n) in the number of
// pieces, O(n) output.
// Adjacent ranges with the same owner are merged.
std::vector<AddrRange> flatten(std::vector<WeightedRange> ranges);

// Candidate ordering for EgressNetworks of equal size (docs/policy-reference.md, "Which client sees which
// EgressNetwork"): older creationTimestamp (policy::created_before: missing = oldest), then namespace, then name,
// as Linkerd's compare_matched_egress_network. Input order never decides.
bool candidate_before(const EgressNetwork& a, const EgressNetwork& b);

}  // namespace nfegress::policy::detail
