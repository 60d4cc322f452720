// tests/policy/compile_partition_test.cpp — differential test of "which EgressNetwork owns an address"
// (docs/policy-reference.md, "Which client sees which EgressNetwork"): for thousands of seeded random policies
// (IPv4 and IPv6, excepts, absent networks, equal sizes and timestamps) Plan::network_for equals a brute-force
// reading of the rule (local vs global namespace, exact sizes, ties), Matcher::decide_l4 agrees, and the
// partition is disjoint, sorted and merged.
#include <gtest/gtest.h>

#include <limits>

#include "policy/compile.hpp"
#include "policy/compile_partition.hpp"
#include "policy/match.hpp"
#include "tests/policy/random_policy.hpp"

namespace nfegress::policy {
namespace {
using namespace testing;

// EgressNetwork age, read independently of policy::created_before: a missing timestamp counts as oldest; equal
// (or both missing) timestamps are equal, whatever the input order (namespace and name decide next).
bool older(const ObjectMeta& a, const ObjectMeta& b) {
  constexpr std::int64_t oldest = std::numeric_limits<std::int64_t>::min();
  return a.creation.value_or(oldest) < b.creation.value_or(oldest);
}

// Brute force straight from the text of the rule (no sweep, no merging): per candidate the smallest containing
// network (size = cidr size minus the sizes of its non-overlapping excepts), then size, age, namespace, name.
std::optional<std::string> brute(const ResourceSet& rs, const std::string& client_ns, const IpAddr& a) {
  std::vector<const EgressNetwork*> local, global;
  for (const auto& en : rs.networks) {
    if (en.meta.ns == client_ns) local.push_back(&en);
    else if (en.meta.ns == "linkerd-egress") global.push_back(&en);
  }
  const auto& cands = local.empty() ? global : local;
  const auto cluster = default_cluster_networks();
  const EgressNetwork* best = nullptr;
  u128 best_size = 0;
  for (const EgressNetwork* en : cands) {
    std::vector<Network> nets;
    if (en->networks) {
      nets = *en->networks;
    } else {
      for (Family f : {Family::V4, Family::V6}) {
        Network n;
        n.cidr = IpPrefix{f, 0, 0};
        for (const auto& c : cluster)
          if (c.family == f) n.except.push_back(c);
        nets.push_back(n);
      }
    }
    std::optional<u128> mine;
    for (const auto& n : nets) {
      if (!n.cidr.contains(a)) continue;
      bool excepted = false;
      u128 removed = 0;
      for (const auto& e : n.except) {
        excepted |= e.contains(a);
        removed += e.size_minus_one() + 1;
      }
      if (excepted) continue;
      const u128 size_m1 = n.cidr.size_minus_one() - removed;
      if (!mine || size_m1 < *mine) mine = size_m1;
    }
    if (!mine) continue;
    bool wins = !best || *mine < best_size;
    if (best && *mine == best_size) {
      if (older(en->meta, best->meta)) wins = true;
      else if (older(best->meta, en->meta)) wins = false;
      else wins = std::tie(en->meta.ns, en->meta.name) < std::tie(best->meta.ns, best->meta.name);
    }
    if (wins) {
      best = en;
      best_size = *mine;
    }
  }
  if (!best) return std::nullopt;
  return best->meta.ns + "/" + best->meta.name;
}

void check_partition(const std::vector<AddrRange>& rs, std::size_t networks) {
  for (std::size_t i = 0; i < rs.size(); ++i) {
    ASSERT_LE(rs[i].lo, rs[i].hi);
    ASSERT_LT(rs[i].network, networks);
    if (i > 0) {
      ASSERT_LT(rs[i - 1].hi, rs[i].lo);
      // merged: adjacent ranges never share an owner
      ASSERT_FALSE(rs[i - 1].hi + 1 == rs[i].lo && rs[i - 1].network == rs[i].network);
    }
  }
}

TEST(CompilePartition, DifferentialAgainstBruteForce) {
  Gen g(20261122);
  std::size_t probes = 0, captured = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    const ResourceSet rs = random_networks(g).rs;
    const std::string client = g.uni(0, 1) ? "app" : "other";
    const Plan plan = compile(rs, client);
    const Matcher matcher(plan);
    ASSERT_NO_FATAL_FAILURE(check_partition(plan.v4, plan.networks.size()));
    ASSERT_NO_FATAL_FAILURE(check_partition(plan.v6, plan.networks.size()));
    for (const auto& a : probe_addresses(g, rs)) {
      const auto got = plan.network_for(a);
      const auto want = brute(rs, client, a);
      ++probes;
      captured += want.has_value();
      ASSERT_EQ(got ? std::optional<std::string>(plan.networks[*got].id()) : std::nullopt, want)
          << "iteration " << iter << " address " << format_ip(a);
      // The matcher (enforcer and explain) must agree with the partition.
      const auto d = matcher.decide_l4(a, 443, Proto::Tcp);
      ASSERT_EQ(d.network, got) << "iteration " << iter << " address " << format_ip(a);
      ASSERT_EQ(d.kind == DecisionKind::Untouched, !want.has_value());
    }
  }
  // The generator must exercise both outcomes, or the comparison proves little.
  EXPECT_GT(captured, probes / 4);
  EXPECT_LT(captured, probes);
}

TEST(CompilePartition, ExactSizesBeatUpstreamOverflow) {
  // ::/0 minus cluster networks is larger than a /96: the /96 wins (upstream overflows and picks ::/0).
  Resources r;
  r.egress("linkerd-egress", "a", TrafficPolicy::Deny, std::nullopt, 1);
  r.egress("linkerd-egress", "b", TrafficPolicy::Allow, std::vector<Network>{net("2001:db8::/96")}, 2);
  r.egress("linkerd-egress", "c", TrafficPolicy::Allow, std::vector<Network>{net("2001:db8::/64")}, 0);
  const Plan p = compile(r.rs, "app");
  EXPECT_EQ(p.networks[*p.network_for(ip("2001:db8::5"))].name, "b");
  EXPECT_EQ(p.networks[*p.network_for(ip("2001:db8::1:0:0:5"))].name, "c");
  EXPECT_EQ(p.networks[*p.network_for(ip("2001:db9::5"))].name, "a");
}

TEST(CompilePartition, NetworkPiecesCountsExactly) {
  const auto np = detail::network_pieces(pfx("::/0"), {pfx("::/1")});
  ASSERT_EQ(np.pieces.size(), 1u);
  EXPECT_EQ(np.size_m1, (u128{1} << 127) - 1);
  EXPECT_TRUE(detail::network_pieces(pfx("192.0.2.0/24"), {pfx("192.0.2.0/24")}).empty());
  const auto whole = detail::network_pieces(pfx("::/0"), {});
  EXPECT_EQ(whole.size_m1, ~u128{0});
  // overlapping excepts are merged, not double counted
  const auto ov = detail::network_pieces(pfx("192.0.2.0/24"), {pfx("192.0.2.0/25"), pfx("192.0.2.0/26")});
  EXPECT_EQ(ov.size_m1, 127u);
}

TEST(CompilePartition, MergesAdjacentRangesOfOneOwner) {
  Resources r;
  r.egress("linkerd-egress", "a", TrafficPolicy::Deny,
           std::vector<Network>{net("192.0.2.0/25"), net("192.0.2.128/25")});
  const Plan p = compile(r.rs, "app");
  ASSERT_EQ(p.v4.size(), 1u);
  EXPECT_EQ(p.v4[0].lo, ip("192.0.2.0").value);
  EXPECT_EQ(p.v4[0].hi, ip("192.0.2.255").value);
}

TEST(CompilePartition, ClusterNetworksOverride) {
  Resources r;
  r.egress("linkerd-egress", "a", TrafficPolicy::Deny);
  CompileOptions o;
  o.cluster_networks = {pfx("192.0.2.0/24")};
  const Plan p = compile(r.rs, "app", o);
  EXPECT_FALSE(p.network_for(ip("192.0.2.9")));
  EXPECT_TRUE(p.network_for(ip("10.1.2.3")));  // a default cluster network, but not in the override
  EXPECT_TRUE(p.network_for(ip("fd00::1")));
}

}  // namespace
}  // namespace nfegress::policy
