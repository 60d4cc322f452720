// tests/policy/random_policy.hpp — test helper: seeded random policies and probe addresses for the differential
// tests (address partition, plan vs exported ruleset). Networks are concentrated in a few ranges so they overlap and
// tie often; names, ages and input order disagree so every tie-break is exercised.
#pragma once
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "policy/plan.hpp"
#include "tests/policy/semantics_fixtures.hpp"

namespace nfegress::policy::testing {

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(std::uint64_t seed) : rng(seed) {}
  unsigned uni(unsigned lo, unsigned hi) { return std::uniform_int_distribution<unsigned>(lo, hi)(rng); }
  u128 bits128() { return (u128{rng()} << 64) | rng(); }

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

// 1..7 EgressNetworks in "app" and "linkerd-egress"; some without networks, some without timestamps.
inline Resources random_networks(Gen& g) {
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
    r.egress(ns, "en" + std::to_string(g.uni(0, 99)) + "-" + std::to_string(i),
             g.uni(0, 1) ? TrafficPolicy::Allow : TrafficPolicy::Deny, nets, created);
  }
  return r;
}

// The ports random routes use: plain, TLS, an opaque port and one more.
inline const std::vector<std::uint16_t>& route_ports() {
  static const std::vector<std::uint16_t> p = {80, 443, 5432, 8080};
  return p;
}

// 0..4 routes per EgressNetwork of every kind, with self, Service or no backends.
inline void add_random_routes(Gen& g, Resources& r) {
  const std::vector<EgressNetwork> nets = r.rs.networks;
  int id = 0;
  for (const auto& en : nets) {
    const unsigned k = g.uni(0, 4);
    for (unsigned i = 0; i < k; ++i) {
      const auto kind = static_cast<RouteKind>(g.uni(0, 3));
      const std::uint16_t port = route_ports()[g.uni(0, 3)];
      std::vector<std::string> hosts;
      if (kind != RouteKind::TCP && g.uni(0, 1)) hosts.push_back(g.uni(0, 1) ? "a.example.com" : "*.example.com");
      RouteRule rule;
      const unsigned b = g.uni(0, 2);
      if (b == 1) rule.backends.push_back(egress_backend(en.meta.name));
      if (b == 2) rule.backends.push_back(service_backend("svc"));
      if (kind == RouteKind::HTTP && g.uni(0, 1)) rule.http_matches.push_back(path_prefix("/api"));
      r.route(kind, en.meta.ns, "r" + std::to_string(id++), en.meta.name, port, hosts, {rule});
    }
  }
}

// Boundaries of every network and except (and their neighbours), the cluster networks, random addresses.
inline std::vector<IpAddr> probe_addresses(Gen& g, const ResourceSet& rs) {
  std::vector<IpAddr> out;
  auto around = [&](Family f, u128 v) {
    out.push_back({f, v});
    if (v > 0) out.push_back({f, v - 1});
    const u128 max = f == Family::V4 ? 0xFFFFFFFFu : ~u128{0};
    if (v < max) out.push_back({f, v + 1});
  };
  auto edges = [&](const IpPrefix& p) {
    around(p.family, p.first());
    around(p.family, p.last());
  };
  for (const auto& en : rs.networks) {
    if (!en.networks) continue;
    for (const auto& n : *en.networks) {
      edges(n.cidr);
      for (const auto& e : n.except) edges(e);
    }
  }
  for (const auto& c : default_cluster_networks()) edges(c);
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

}  // namespace nfegress::policy::testing
