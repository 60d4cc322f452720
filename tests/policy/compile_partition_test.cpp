// tests/policy/compile_partition_test.cpp — §3 differential test: for thousands of seeded random policies
// (IPv4 and IPv6, excepts, absent networks, equal sizes and timestamps) Plan::network_for equals a brute-force
// reading of §3, and the partition is disjoint, sorted and merged.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "policy/compile.hpp"
#include "policy/compile_partition.hpp"
#include "semantics_fixtures.hpp"

namespace nfegress::policy {
namespace {
using namespace testing;

// Brute force straight from the text of §3 (no sweep, no merging): per candidate the smallest containing
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
      if (older_than(en->meta, best->meta)) wins = true;
      else if (older_than(best->meta, en->meta)) wins = false;
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

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(std::uint64_t seed) : rng(seed) {}
  unsigned uni(unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng); }
  u128 bits128() { return (u128{rng()} << 64) | rng(); }

  // Prefixes concentrated in a few documentation ranges so that networks overlap and tie often.
  IpPrefix prefix(Family f) {
    if (f == Family::V4) {
      static const u128 bases[] = {0xC0000200u /*192.0.2.0*/, 0xC6336400u /*198.51.100.0*/, 0x0A000000u /*10/8*/};
      const u128 base = bases[uni(0, 2)];
      const unsigned len = uni(0, 9) == 0 ? uni(0, 8) : uni(20, 32);
      const u128 v = (base ^ (u128{static_cast<std::uint32_t>(rng())} & 0x3FFu)) & 0xFFFFFFFFu;
      return *parse_prefix(format_ip(Family::V4, v) + "/" + std::to_string(len));
    }
    const u128 base = (u128{0x20010db8} << 96);
    const unsigned len = uni(0, 9) == 0 ? uni(0, 64) : uni(96, 128);
    const u128 v = base ^ (bits128() & 0xFFFFFu) ^ (uni(0, 5) == 0 ? (bits128() >> 40) : 0);
    return *parse_prefix(format_ip(Family::V6, v) + "/" + std::to_string(len));
  }

  // Non-overlapping excepts strictly inside the cidr.
  std::vector<IpPrefix> excepts(const IpPrefix& cidr) {
    std::vector<IpPrefix> out;
    const unsigned bits = family_bits(cidr.family);
    if (cidr.len >= bits) return out;
    const unsigned n = uni(0, 3);
    for (unsigned i = 0; i < n; ++i) {
      const unsigned len = uni(cidr.len + 1, std::min(bits, cidr.len + 12u));
      const u128 host = bits128() & cidr.size_minus_one();
      const auto e = *parse_prefix(format_ip(cidr.family, cidr.base | host) + "/" + std::to_string(len));
      bool overlaps = false;
      for (const auto& o : out) overlaps |= o.intersects(e);
      if (!overlaps) out.push_back(e);
    }
    return out;
  }
};

ResourceSet random_policy(Gen& g) {
  Resources r;
  const unsigned n = g.uni(1, 7);
  for (unsigned i = 0; i < n; ++i) {
    const std::string ns = g.uni(0, 2) == 0 ? "app" : "linkerd-egress";
    std::optional<std::vector<Network>> nets;
    if (g.uni(0, 5) != 0) {
      nets.emplace();
      const unsigned k = g.uni(1, 3);
      for (unsigned j = 0; j < k; ++j) {
        Network nw;
        nw.cidr = g.prefix(g.uni(0, 1) ? Family::V4 : Family::V6);
        nw.except = g.excepts(nw.cidr);
        nets->push_back(nw);
      }
    }
    std::optional<std::int64_t> created;
    if (g.uni(0, 3) != 0) created = g.uni(1, 3);
    // Names in random order relative to input order, so name and input-order tie-breaks disagree.
    r.egress(ns, "en" + std::to_string(g.uni(0, 99)) + "-" + std::to_string(i), g.uni(0, 1) ? TrafficPolicy::Allow : TrafficPolicy::Deny,
             nets, created);
  }
  return r.rs;
}

std::vector<IpAddr> probe_addresses(Gen& g, const ResourceSet& rs) {
  std::vector<IpAddr> out;
  auto around = [&](Family f, u128 v) {
    out.push_back({f, v});
    if (v > 0) out.push_back({f, v - 1});
    const u128 max = f == Family::V4 ? 0xFFFFFFFFu : ~u128{0};
    if (v < max) out.push_back({f, v + 1});
  };
  for (const auto& en : rs.networks) {
    if (!en.networks) continue;
    for (const auto& n : *en.networks) {
      around(n.cidr.family, n.cidr.first());
      around(n.cidr.family, n.cidr.last());
      for (const auto& e : n.except) {
        around(e.family, e.first());
        around(e.family, e.last());
      }
    }
  }
  for (const auto& c : default_cluster_networks()) {
    around(c.family, c.first());
    around(c.family, c.last());
  }
  for (int i = 0; i < 40; ++i) {
    const auto p = g.prefix(g.uni(0, 1) ? Family::V4 : Family::V6);
    out.push_back({p.family, p.base | (g.bits128() & p.size_minus_one())});
  }
  out.push_back({Family::V4, 0});
  out.push_back({Family::V4, 0xFFFFFFFFu});
  out.push_back({Family::V6, 0});
  out.push_back({Family::V6, ~u128{0}});
  return out;
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
    const ResourceSet rs = random_policy(g);
    const std::string client = g.uni(0, 1) ? "app" : "other";
    const Plan plan = compile(rs, client);
    ASSERT_NO_FATAL_FAILURE(check_partition(plan.v4, plan.networks.size()));
    ASSERT_NO_FATAL_FAILURE(check_partition(plan.v6, plan.networks.size()));
    for (const auto& a : probe_addresses(g, rs)) {
      const auto got = plan.network_for(a);
      const auto want = brute(rs, client, a);
      ++probes;
      captured += want.has_value();
      ASSERT_EQ(got ? std::optional<std::string>(plan.networks[*got].id()) : std::nullopt, want)
          << "iteration " << iter << " address " << format_ip(a);
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
